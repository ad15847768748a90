package deploy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// helmModule is run with `go run`, pinned: Go caches the built executable,
// so only the first run on a machine builds Helm (a few minutes on 2 cores).
// It is not a go.mod tool line, which would pull Kubernetes' module graph
// into the exporter's go.mod and go.sum.
const helmModule = "helm.sh/helm/v3/cmd/helm@v3.22.0"

const chartDir = "helm/rocketmq-exporter"

// helm runs Helm on the chart; it returns stdout, or the combined output
// and an error when Helm fails.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), helmTimeout(t))
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"run", helmModule}, args...)...)
	cmd.Env = append(os.Environ(), "GOFLAGS=", "HELM_CACHE_HOME="+t.TempDir(),
		"HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("helm %s: no answer in time (building %s the first time takes minutes: run `go run %s version` once to cache it): %v\n%s",
				strings.Join(args, " "), helmModule, helmModule, err, stderr.Bytes())
		}
		return stdout.String(), fmt.Errorf("helm %s: %v\n%s%s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String(), nil
}

// helmTimeout bounds one Helm run, the first of which may build Helm: the
// test's own deadline less a margin, at most 15 minutes.
func helmTimeout(t *testing.T) time.Duration {
	d := 15 * time.Minute
	if dl, ok := t.Deadline(); ok {
		d = min(d, time.Until(dl)-30*time.Second)
	}
	return max(d, time.Second)
}

// needHelm builds Helm once (cached afterwards) so that its build time is
// said, not mistaken for a hang; short mode skips the Helm tests.
func needHelm(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no Helm")
	}
	t.Logf("running %s (the first run on this machine builds it: a few minutes)", helmModule)
	if _, err := helm(t, "version", "--short"); err != nil {
		t.Fatal(err)
	}
}

// object is what the checks need of any rendered object; raw keeps the rest.
type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   meta   `json:"metadata"`
	raw        []byte
}

// render runs helm template with --set values and splits the output into
// objects by kind.
func render(t *testing.T, sets ...string) map[string][]object {
	t.Helper()
	args := []string{"template", "rmq", filepath.Join(root, "deploy", chartDir), "--namespace", "mon"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	out, err := helm(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string][]object{}
	for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(out, -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("rendered object does not parse: %v\n%s", err, doc)
		}
		o.raw = []byte(doc)
		objs[o.Kind] = append(objs[o.Kind], o)
	}
	return objs
}

func stripComments(doc string) string {
	return regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(doc, "")
}

// one returns the only object of a kind, decoded into v.
func one(t *testing.T, objs map[string][]object, kind string, v any) {
	t.Helper()
	if len(objs[kind]) != 1 {
		t.Fatalf("%d %s objects rendered, want 1", len(objs[kind]), kind)
	}
	if err := yaml.Unmarshal(objs[kind][0].raw, v); err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
}

type chartContainer struct {
	Image string   `json:"image"`
	Args  []string `json:"args"`
	Env   []struct {
		Name      string `json:"name"`
		Value     string `json:"value"`
		ValueFrom *struct {
			SecretKeyRef struct {
				Name string `json:"name"`
				Key  string `json:"key"`
			} `json:"secretKeyRef"`
		} `json:"valueFrom"`
	} `json:"env"`
	Resources struct {
		Limits map[string]string `json:"limits"`
	} `json:"resources"`
	SecurityContext struct {
		ReadOnlyRootFilesystem   bool `json:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation bool `json:"allowPrivilegeEscalation"`
	} `json:"securityContext"`
	ReadinessProbe probe        `json:"readinessProbe"`
	LivenessProbe  probe        `json:"livenessProbe"`
	VolumeMounts   []chartMount `json:"volumeMounts"`
}

type chartMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly"`
}

type chartVolume struct {
	Name   string `json:"name"`
	Secret *struct {
		SecretName string `json:"secretName"`
	} `json:"secret"`
	EmptyDir *struct{} `json:"emptyDir"`
}

type chartDeployment struct {
	Spec struct {
		Template struct {
			Spec struct {
				SecurityContext struct {
					RunAsNonRoot bool `json:"runAsNonRoot"`
					RunAsUser    int  `json:"runAsUser"`
				} `json:"securityContext"`
				Containers []chartContainer `json:"containers"`
				Volumes    []chartVolume    `json:"volumes"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

func container(t *testing.T, objs map[string][]object) chartContainer {
	t.Helper()
	var d chartDeployment
	one(t, objs, "Deployment", &d)
	ps := d.Spec.Template.Spec
	if !ps.SecurityContext.RunAsNonRoot || ps.SecurityContext.RunAsUser == 0 {
		t.Errorf("pod securityContext %+v: want non-root", ps.SecurityContext)
	}
	if len(ps.Containers) != 1 {
		t.Fatalf("%d containers", len(ps.Containers))
	}
	return ps.Containers[0]
}

func envValue(c chartContainer, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func chartAppVersion(t *testing.T) string {
	t.Helper()
	var c struct {
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal([]byte(read(t, "deploy/"+chartDir+"/Chart.yaml")), &c); err != nil {
		t.Fatal(err)
	}
	if c.AppVersion == "" {
		t.Fatal("Chart.yaml has no appVersion")
	}
	return c.AppVersion
}

// TestHelmChartDefaults: lint passes; by default the chart renders the
// exporter alone (no ServiceMonitor, PrometheusRule or dashboards), tagged
// with the appVersion, non-root and read-only, probed on /readyz and
// /healthz, with a GOMEMLIMIT below its memory limit.
func TestHelmChartDefaults(t *testing.T) {
	needHelm(t)
	if out, err := helm(t, "lint", "--strict", filepath.Join(root, "deploy", chartDir)); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	objs := render(t)
	for _, kind := range []string{"ServiceMonitor", "PrometheusRule", "ConfigMap"} {
		if len(objs[kind]) != 0 {
			t.Errorf("default values render a %s: it should be off by default", kind)
		}
	}
	c := container(t, objs)
	if want := "ghcr.io/rocketmq-exporter/rocketmq_exporter:" + chartAppVersion(t); c.Image != want {
		t.Errorf("image %q, want %q (the tag defaults to appVersion)", c.Image, want)
	}
	if !slices.Contains(c.Args, "--rocketmq.namesrv-addr=rocketmq-namesrv:9876") {
		t.Errorf("args %q: no default name server", c.Args)
	}
	if c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("probes %+v %+v: want /readyz and /healthz", c.ReadinessProbe, c.LivenessProbe)
	}
	if !c.SecurityContext.ReadOnlyRootFilesystem || c.SecurityContext.AllowPrivilegeEscalation {
		t.Errorf("container securityContext %+v: want read-only, no privilege escalation", c.SecurityContext)
	}
	checkMemory(t, "the chart's defaults", c.Resources.Limits["memory"], c)
	checkLeakState(t, objs, c)
	var svc struct {
		Spec struct {
			Selector map[string]string `json:"selector"`
		} `json:"spec"`
	}
	one(t, objs, "Service", &svc)
	if len(svc.Spec.Selector) == 0 {
		t.Error("the Service selects nothing")
	}
}

// checkLeakState: the leak state file is on a writable emptyDir (the root
// file system is read-only), so a restarted container keeps what its
// predecessor knew of deleted topics and groups.
func checkLeakState(t *testing.T, objs map[string][]object, c chartContainer) {
	t.Helper()
	if !slices.Contains(c.Args, "--leak.state-file=/var/lib/rocketmq-exporter/leak-state.json") {
		t.Errorf("args %q: no leak state file", c.Args)
	}
	var d chartDeployment
	one(t, objs, "Deployment", &d)
	mounted := slices.ContainsFunc(c.VolumeMounts, func(m chartMount) bool {
		return m.Name == "leak-state" && m.MountPath == "/var/lib/rocketmq-exporter" && !m.ReadOnly
	})
	if !mounted || !slices.ContainsFunc(d.Spec.Template.Spec.Volumes, func(v chartVolume) bool {
		return v.Name == "leak-state" && v.EmptyDir != nil
	}) {
		t.Errorf("the leak state directory is not a writable emptyDir: volumes %+v, mounts %+v", d.Spec.Template.Spec.Volumes, c.VolumeMounts)
	}
}

// TestHelmChartEverythingOn: lint passes with every option on; every
// target becomes a namesrv flag, the ACL keys come from the named Secret,
// the web config is mounted and passed, and the ServiceMonitor,
// PrometheusRule and dashboards carry their additional labels and the
// checked-in rules and dashboards unchanged.
func TestHelmChartEverythingOn(t *testing.T) {
	needHelm(t)
	sets := []string{
		"targets[0].name=prod", "targets[0].addresses={ns-0:9876,ns-1:9876}",
		"targets[1].addresses={ns-b:9876}",
		"targets[2]=dev=ns-dev:9876",
		"acl.existingSecret=rmq-acl", "acl.accessKeyKey=ak", "acl.secretKeyKey=sk",
		"webConfig.existingSecret=rmq-web", "webConfig.tls=true",
		"extraArgs={--collect.interval=30s}",
		"resources.limits.memory=3Gi",
		"serviceMonitor.enabled=true", "serviceMonitor.additionalLabels.release=kps",
		"prometheusRule.enabled=true", "prometheusRule.additionalLabels.release=kps",
		"dashboards.enabled=true",
		"leak.historyURL=http://prometheus-operated:9090",
	}
	lint := []string{"lint", "--strict", filepath.Join(root, "deploy", chartDir)}
	for _, s := range sets {
		lint = append(lint, "--set", s)
	}
	if out, err := helm(t, lint...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	objs := render(t, sets...)
	c := container(t, objs)
	var d chartDeployment
	one(t, objs, "Deployment", &d)
	if !slices.ContainsFunc(d.Spec.Template.Spec.Volumes, func(v chartVolume) bool {
		return v.Secret != nil && v.Secret.SecretName == "rmq-web"
	}) || !slices.ContainsFunc(c.VolumeMounts, func(m chartMount) bool { return m.MountPath == "/etc/rocketmq-exporter/web" }) {
		t.Errorf("the web config Secret rmq-web is not mounted: volumes %+v, mounts %+v", d.Spec.Template.Spec.Volumes, c.VolumeMounts)
	}
	for _, want := range []string{
		"--rocketmq.namesrv-addr=prod=ns-0:9876;ns-1:9876",
		"--rocketmq.namesrv-addr=ns-b:9876",
		"--rocketmq.namesrv-addr=dev=ns-dev:9876",
		"--web.config.file=/etc/rocketmq-exporter/web/web-config.yml",
		"--collect.interval=30s",
		"--leak.history-url=http://prometheus-operated:9090",
	} {
		if !slices.Contains(c.Args, want) {
			t.Errorf("args %q lack %q", c.Args, want)
		}
	}
	checkSecretEnv(t, c, "ROCKETMQ_EXPORTER_ROCKETMQ_ACCESS_KEY", "rmq-acl", "ak")
	checkSecretEnv(t, c, "ROCKETMQ_EXPORTER_ROCKETMQ_SECRET_KEY", "rmq-acl", "sk")
	if v, _ := envValue(c, "GOMEMLIMIT"); v != "2764MiB" {
		t.Errorf("GOMEMLIMIT %q with a 3Gi limit, want 2764MiB (90 %%)", v)
	}
	if c.ReadinessProbe.HTTPGet.Scheme != "HTTPS" {
		t.Errorf("readiness probe scheme %q with webConfig.tls, want HTTPS", c.ReadinessProbe.HTTPGet.Scheme)
	}

	var sm struct {
		Metadata meta `json:"metadata"`
		Spec     struct {
			Endpoints []struct {
				Scheme      string `json:"scheme"`
				Relabelings []struct {
					TargetLabel string `json:"targetLabel"`
					Replacement string `json:"replacement"`
				} `json:"relabelings"`
			} `json:"endpoints"`
		} `json:"spec"`
	}
	one(t, objs, "ServiceMonitor", &sm)
	if sm.Metadata.Labels["release"] != "kps" || len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Scheme != "https" {
		t.Fatalf("ServiceMonitor %+v: want label release=kps and one https endpoint", sm)
	}
	// The job the checked-in alerts select.
	if r := sm.Spec.Endpoints[0].Relabelings; len(r) == 0 || r[0].TargetLabel != "job" || r[0].Replacement != "rocketmq" ||
		!strings.Contains(read(t, "alerts/rocketmq-alerts.yaml"), `job=\"rocketmq\"`) {
		t.Errorf("ServiceMonitor relabelings %+v: want job=rocketmq first, the job alerts/rocketmq-alerts.yaml selects", r)
	}
	checkPrometheusRule(t, objs)
	checkDashboards(t, objs)
}

func checkSecretEnv(t *testing.T, c chartContainer, name, secret, key string) {
	t.Helper()
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef.Name == secret && e.ValueFrom.SecretKeyRef.Key == key {
			return
		}
	}
	t.Errorf("env %s does not come from Secret %s key %s: %+v", name, secret, key, c.Env)
}

// checkPrometheusRule: the rendered rule groups equal
// alerts/rocketmq-alerts.yaml, the file Prometheus users load.
func checkPrometheusRule(t *testing.T, objs map[string][]object) {
	t.Helper()
	var pr struct {
		Metadata meta `json:"metadata"`
		Spec     any  `json:"spec"`
	}
	one(t, objs, "PrometheusRule", &pr)
	var want any
	if err := yaml.Unmarshal([]byte(read(t, "alerts/rocketmq-alerts.yaml")), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(pr.Spec, want) {
		t.Error("the chart's PrometheusRule differs from alerts/rocketmq-alerts.yaml: run `make helm-refresh`")
	}
	if pr.Metadata.Labels["release"] != "kps" {
		t.Errorf("PrometheusRule labels %v: no additional label release=kps", pr.Metadata.Labels)
	}
}

// checkDashboards: the ConfigMap holds every dashboards/*.json byte for
// byte, labelled for the Grafana sidecar.
func checkDashboards(t *testing.T, objs map[string][]object) {
	t.Helper()
	var cm struct {
		Metadata meta              `json:"metadata"`
		Data     map[string]string `json:"data"`
	}
	one(t, objs, "ConfigMap", &cm)
	if cm.Metadata.Labels["grafana_dashboard"] != "1" {
		t.Errorf("dashboards ConfigMap labels %v: want grafana_dashboard: \"1\"", cm.Metadata.Labels)
	}
	files, _ := filepath.Glob(filepath.Join(root, "dashboards", "*.json"))
	if len(files) == 0 {
		t.Fatal("no dashboards/*.json")
	}
	for _, f := range files {
		name := filepath.Base(f)
		if got, ok := cm.Data[name]; !ok || got != read(t, "dashboards/"+name) {
			t.Errorf("dashboards ConfigMap: %s missing or changed: run `make helm-refresh`", name)
		}
	}
	if len(cm.Data) != len(files) {
		t.Errorf("dashboards ConfigMap holds %d dashboards, dashboards/ %d: run `make helm-refresh`", len(cm.Data), len(files))
	}
}

// TestHelmChartRejectsBadValues: values the chart cannot honour fail the
// render (values.schema.json or the templates) with a message naming them.
func TestHelmChartRejectsBadValues(t *testing.T) {
	needHelm(t)
	for _, c := range []struct{ set, want string }{
		{"targets=null", "targets"},
		{"targets[0].name=a", "addresses"},
		{"image.tag=latest", "/image/tag"},
		{"gomemlimit.ratio=2", "/gomemlimit/ratio"},
		{"resources.limits.memory=lots", "resources.limits.memory"},
	} {
		_, err := helm(t, "template", "rmq", filepath.Join(root, "deploy", chartDir), "--set", c.set)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--set %s: err %v, want a failure naming %s", c.set, err, c.want)
		}
	}
}

// TestHelmChartCopiesMatchOriginals: a chart reads no file outside its
// directory, so it carries copies of the rendered alerts and dashboards;
// they must be the checked-in ones, byte for byte.
func TestHelmChartCopiesMatchOriginals(t *testing.T) {
	files := chartDir + "/files/"
	if read(t, "deploy/"+files+"rocketmq-alerts.yaml") != read(t, "alerts/rocketmq-alerts.yaml") {
		t.Errorf("deploy/%srocketmq-alerts.yaml differs from alerts/rocketmq-alerts.yaml: run `make helm-refresh`", files)
	}
	orig, _ := filepath.Glob(filepath.Join(root, "dashboards", "*.json"))
	copies, _ := filepath.Glob(filepath.Join(root, "deploy", files, "dashboards", "*.json"))
	names := func(paths []string) []string {
		var n []string
		for _, p := range paths {
			n = append(n, filepath.Base(p))
		}
		return n
	}
	if !slices.Equal(names(orig), names(copies)) {
		t.Fatalf("deploy/%sdashboards has %v, dashboards/ %v: run `make helm-refresh`", files, names(copies), names(orig))
	}
	for _, n := range names(orig) {
		if read(t, "deploy/"+files+"dashboards/"+n) != read(t, "dashboards/"+n) {
			t.Errorf("deploy/%sdashboards/%s differs from dashboards/%s: run `make helm-refresh`", files, n, n)
		}
	}
}

// ---- memory sizing ----

// TestDeploymentMemory: the plain Deployment's memory limit fits the
// sizing table and GOMEMLIMIT sits just under it.
func TestDeploymentMemory(t *testing.T) {
	var d chartDeployment
	load(t, "deployment.yaml", &d)
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(d.Spec.Template.Spec.Containers))
	}
	c := d.Spec.Template.Spec.Containers[0]
	checkMemory(t, "deploy/deployment.yaml", c.Resources.Limits["memory"], c)
}

// checkMemory: the limit holds 1.5 times the exporter's RSS at 10k topics
// in BENCHMARKS.md (what the defaults claim to fit), and GOMEMLIMIT is
// 80-95 % of the limit, so the runtime collects before the kernel kills.
func checkMemory(t *testing.T, where, limit string, c chartContainer) {
	t.Helper()
	lim, err := parseBytes(limit, map[string]float64{"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30})
	if err != nil {
		t.Fatalf("%s: memory limit: %v", where, err)
	}
	if rss := benchmarkRSS(t, "10,000"); lim < 1.5*rss {
		t.Errorf("%s: memory limit %s is under 1.5 times the 10k-topic RSS in BENCHMARKS.md (%.0f MiB)", where, limit, rss/(1<<20))
	}
	v, ok := envValue(c, "GOMEMLIMIT")
	if !ok {
		t.Fatalf("%s sets no GOMEMLIMIT", where)
	}
	gml, err := parseBytes(v, map[string]float64{"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30})
	if err != nil {
		t.Fatalf("%s: GOMEMLIMIT: %v", where, err)
	}
	if r := gml / lim; r < 0.8 || r > 0.95 {
		t.Errorf("%s: GOMEMLIMIT %s is %.0f %% of the memory limit %s, want 80-95 %%", where, v, 100*r, limit)
	}
}

var quantity = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)$`)

// parseBytes reads "512Mi" or "460MiB" with the given suffixes.
func parseBytes(s string, units map[string]float64) (float64, error) {
	m := quantity.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is no quantity", s)
	}
	u, ok := units[m[2]]
	if !ok {
		return 0, fmt.Errorf("%q: unit %q not one of %v", s, m[2], units)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	return n * u, err
}

// benchmarkRSS reads the exporter RSS column of BENCHMARKS.md's scrape
// table for a topic count as written there ("10,000"): the column whose
// header starts with "exporter RSS", the figure after "→" when the cell
// compares before and after ("190 / 21.4 → 62.8 / 20.3 MiB": 62.8 MiB).
func benchmarkRSS(t *testing.T, topics string) float64 {
	t.Helper()
	var cols []string
	col := -1
	for _, line := range strings.Split(read(t, "BENCHMARKS.md"), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if i := slices.IndexFunc(cells, func(c string) bool { return strings.HasPrefix(c, "exporter RSS") }); i >= 0 {
			cols, col = cells, i
			continue
		}
		if cols == nil || len(cells) != len(cols) || cells[0] != topics {
			continue
		}
		cell := cells[col]
		if _, after, ok := strings.Cut(cell, "→"); ok {
			cell = after
		}
		fields := strings.Fields(strings.ReplaceAll(cell, ",", ""))
		if len(fields) < 2 {
			t.Fatalf("BENCHMARKS.md: exporter RSS cell %q for %s topics", cells[col], topics)
		}
		b, err := parseBytes(fields[0]+fields[len(fields)-1], map[string]float64{"MiB": 1 << 20, "GiB": 1 << 30})
		if err != nil {
			t.Fatalf("BENCHMARKS.md: %v", err)
		}
		return b
	}
	t.Fatalf("BENCHMARKS.md: no exporter RSS row for %s topics", topics)
	return 0
}

// TestHelmChartVersion: the chart deploys the newest release in
// CHANGELOG.md, and the same image as deploy/deployment.yaml once that
// names a release.
func TestHelmChartVersion(t *testing.T) {
	released := regexp.MustCompile(`(?m)^## \[([0-9][^\]]*)\]`).FindStringSubmatch(read(t, "CHANGELOG.md"))
	if released == nil {
		t.Fatal("CHANGELOG.md names no release")
	}
	app := chartAppVersion(t)
	if app != released[1] {
		t.Errorf("Chart.yaml appVersion %s, CHANGELOG.md's newest release %s", app, released[1])
	}
	var d chartDeployment
	load(t, "deployment.yaml", &d)
	img := d.Spec.Template.Spec.Containers[0].Image
	if strings.HasSuffix(img, ":latest") {
		t.Logf("deploy/deployment.yaml runs %s: not compared with the chart's image", img)
		return
	}
	repo, tag, _ := strings.Cut(img, ":")
	if repo != "ghcr.io/rocketmq-exporter/rocketmq_exporter" || tag != app {
		t.Errorf("deploy/deployment.yaml runs %s, the chart ghcr.io/rocketmq-exporter/rocketmq_exporter:%s", img, app)
	}
}
