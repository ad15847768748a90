package mixin

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// optInConfig turns on the alerts the default rendering leaves out, as an
// operator would; alerts/tests/opt-in tests them against this rendering.
const optInConfig = `{ _config+:: { topicSilenceSelector: 'topic=~"orders|payments"' } }`

// optInAlertNames are the alerts only optInConfig renders.
var optInAlertNames = []string{"RocketMQTopicStoppedReceiving"}

var optInRendered = sync.OnceValues(func() ([]byte, error) { return Alerts(optInConfig) })

// optInRules returns the rules of the opt-in alerts, rendered with optInConfig.
func optInRules(t *testing.T) []rule {
	t.Helper()
	b, err := optInRendered()
	if err != nil {
		t.Fatal(err)
	}
	var out []rule
	for _, g := range parseRules(t, b).Groups {
		for _, r := range g.Rules {
			for _, name := range optInAlertNames {
				if r.Alert == name {
					out = append(out, r)
				}
			}
		}
	}
	if len(out) != len(optInAlertNames) {
		t.Fatalf("optInConfig renders %d of the opt-in alerts %v", len(out), optInAlertNames)
	}
	return out
}

// TestOptInAlertsOffByDefault: with the default config none of the opt-in
// alerts is rendered.
func TestOptInAlertsOffByDefault(t *testing.T) {
	optInRules(t)
	for _, r := range alerts(t) {
		for _, name := range optInAlertNames {
			if r.Alert == name {
				t.Errorf("%s is rendered by default", name)
			}
		}
	}
}

// TestPromtoolOptIn runs the unit tests of alerts/tests/opt-in against the
// rendering with optInConfig; each opt-in alert must fire in one case and
// stay silent in another.
func TestPromtoolOptIn(t *testing.T) {
	pt := promtool(t)
	b, err := optInRendered()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "opt-in-alerts.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob(filepath.Join(repoRoot(t), "alerts", "tests", "opt-in", "*.yaml"))
	if len(paths) == 0 {
		t.Fatal("no alerts/tests/opt-in/*.yaml")
	}
	args := []string{"test", "rules"}
	var all strings.Builder
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(src)
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), src, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, filepath.Base(p))
	}
	for _, name := range optInAlertNames {
		if !strings.Contains(all.String(), "alertname: "+name) {
			t.Errorf("alerts/tests/opt-in has no test of %s", name)
		}
	}
	run(t, dir, pt, args...)
}
