package deploy

import (
	"testing"

	"sigs.k8s.io/yaml"
)

// renderedProbes are the exporter container's probes as rendered.
type renderedProbes struct {
	Spec struct {
		Template struct {
			Spec struct {
				Containers []struct {
					ReadinessProbe map[string]any `json:"readinessProbe"`
					LivenessProbe  map[string]any `json:"livenessProbe"`
				} `json:"containers"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

func probesOf(t *testing.T, sets ...string) (readiness, liveness map[string]any) {
	t.Helper()
	objs := render(t, sets...)
	if len(objs["Deployment"]) != 1 {
		t.Fatalf("%d Deployments rendered", len(objs["Deployment"]))
	}
	var d renderedProbes
	if err := yaml.Unmarshal(objs["Deployment"][0].raw, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(d.Spec.Template.Spec.Containers))
	}
	c := d.Spec.Template.Spec.Containers[0]
	return c.ReadinessProbe, c.LivenessProbe
}

// TestHelmChartProbesUnderBasicAuth: exporter-toolkit's basic auth guards
// every path, /healthz and /readyz too, and a kubelet probe carries no
// credentials (TestWebConfig in e2e shows both against the binary). With
// webConfig.basicAuth the probes are TCP checks of the metrics port, with
// their timings kept; with TLS alone they stay HTTPS requests to /readyz
// and /healthz, which a kubelet makes without verifying the certificate.
func TestHelmChartProbesUnderBasicAuth(t *testing.T) {
	needHelm(t)
	web := []string{"webConfig.existingSecret=rmq-web", "webConfig.tls=true"}
	ready, live := probesOf(t, append(web, "webConfig.basicAuth=true")...)
	for name, p := range map[string]map[string]any{"readiness": ready, "liveness": live} {
		tcp, _ := p["tcpSocket"].(map[string]any)
		if p["httpGet"] != nil || tcp["port"] != "metrics" {
			t.Errorf("%s probe under basic auth: %v; want a tcpSocket check of port metrics and no httpGet", name, p)
		}
	}
	if ready["periodSeconds"] != float64(10) || live["periodSeconds"] != float64(30) {
		t.Errorf("probe periods %v and %v under basic auth, want the values' 10 and 30", ready["periodSeconds"], live["periodSeconds"])
	}

	ready, live = probesOf(t, web...)
	for name, p := range map[string]map[string]any{"readiness": ready, "liveness": live} {
		get, _ := p["httpGet"].(map[string]any)
		if get["scheme"] != "HTTPS" || p["tcpSocket"] != nil {
			t.Errorf("%s probe with TLS alone: %v; want an HTTPS httpGet", name, p)
		}
	}
}
