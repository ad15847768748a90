package mixin

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/testtool"
)

var update = flag.Bool("update", false, "rewrite the rendered files from the jsonnet")

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

var rendered = sync.OnceValues(func() (map[string][]byte, error) { return Render("") })

// render returns the default rendering, shared by the tests: read only.
func render(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := rendered()
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestGenerated fails when a checked-in rendered file differs from what the
// jsonnet renders; -update (or go generate ./mixin) rewrites them.
func TestGenerated(t *testing.T) {
	root := repoRoot(t)
	files := render(t)
	for _, name := range []string{AlertsFile, PrometheusRuleFile} {
		if files[name] == nil {
			t.Fatalf("render has no %s", name)
		}
	}
	if len(Dashboards(files)) < 4 {
		t.Fatalf("render has %d dashboards, want 4", len(Dashboards(files)))
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(root, filepath.FromSlash(name))
		if *update {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, files[name], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, files[name]) {
			t.Errorf("%s is not what mixin/ renders: run go generate ./mixin (%v)", name, err)
		}
	}
	// A dashboard removed from the jsonnet must not linger.
	old, _ := filepath.Glob(filepath.Join(root, "dashboards", "*.json"))
	for _, p := range old {
		name := "dashboards/" + filepath.Base(p)
		if files[name] != nil {
			continue
		}
		if *update {
			os.Remove(p)
		} else {
			t.Errorf("%s is not rendered by mixin/: remove it or run go generate ./mixin", name)
		}
	}
}

type ruleFile struct {
	Groups []ruleGroup `json:"groups"`
}

type ruleGroup struct {
	Name  string `json:"name"`
	Rules []rule `json:"rules"`
}

type rule struct {
	Alert       string            `json:"alert"`
	Record      string            `json:"record"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

func parseRules(t *testing.T, b []byte) ruleFile {
	t.Helper()
	var rf ruleFile
	if err := yaml.UnmarshalStrict(b, &rf); err != nil {
		t.Fatal(err)
	}
	return rf
}

func alerts(t *testing.T) []rule {
	var out []rule
	for _, g := range parseRules(t, render(t)[AlertsFile]).Groups {
		out = append(out, g.Rules...)
	}
	return out
}

var (
	camelCase = regexp.MustCompile(`^([A-Z]+[a-z0-9]+)+$`)
	sentence  = regexp.MustCompile(`^[A-Z].+\.$`)
)

// TestAlertConventions checks the monitoring-mixins style guide: CamelCase
// names with one prefix, a severity, a static summary sentence, a templated
// description and a runbook link to the alert's section.
func TestAlertConventions(t *testing.T) {
	rf := parseRules(t, render(t)[AlertsFile])
	if len(rf.Groups) == 0 {
		t.Fatal("no rule groups")
	}
	seen := map[string]bool{}
	for _, g := range rf.Groups {
		if len(g.Name) > 40 || len(g.Rules) > 20 || len(g.Rules) == 0 {
			t.Errorf("group %q: name of %d chars, %d rules (want <= 40 chars, 1-20 rules)", g.Name, len(g.Name), len(g.Rules))
		}
		for _, r := range g.Rules {
			name := r.Alert
			if name == "" {
				t.Errorf("group %s: a rule that is not an alert (%q)", g.Name, r.Record)
				continue
			}
			key := name + "/" + r.Labels["severity"]
			if seen[key] {
				t.Errorf("%s: two rules with the same name and severity", key)
			}
			seen[key] = true
			if !camelCase.MatchString(name) || !strings.HasPrefix(name, "RocketMQ") || len(name) > 40 {
				t.Errorf("%s: want CamelCase, prefix RocketMQ, at most 40 chars", name)
			}
			switch r.Labels["severity"] {
			case "critical", "warning", "info":
			default:
				t.Errorf("%s: severity %q", name, r.Labels["severity"])
			}
			if r.For == "" {
				t.Errorf("%s: no for", name)
			}
			s := r.Annotations["summary"]
			if !sentence.MatchString(s) || strings.Contains(s, "{{") {
				t.Errorf("%s: summary %q is not a static sentence ending in a period", name, s)
			}
			d := r.Annotations["description"]
			if !strings.Contains(d, "{{") || !strings.HasSuffix(d, ".") {
				t.Errorf("%s: description %q is not templated or does not end in a period", name, d)
			}
			if want := "https://github.com/rocketmq-exporter/rocketmq_exporter/blob/main/docs/runbooks.md#" + strings.ToLower(name); r.Annotations["runbook_url"] != want {
				t.Errorf("%s: runbook_url %q, want %q", name, r.Annotations["runbook_url"], want)
			}
			for k := range r.Annotations {
				if k != "summary" && k != "description" && k != "runbook_url" {
					t.Errorf("%s: unexpected annotation %q", name, k)
				}
			}
			if !strings.Contains(r.Expr, `job="rocketmq"`) {
				t.Errorf("%s: expression does not use rocketmqExporterSelector", name)
			}
		}
	}
}

// TestRPCErrorAlertIgnoresExpectedAnswers: every RPC-error alert leaves
// out the answers that are part of normal operation.
func TestRPCErrorAlertIgnoresExpectedAnswers(t *testing.T) {
	n := 0
	for _, r := range alerts(t) {
		if !strings.Contains(r.Expr, "rocketmq_exporter_rpc_errors_total") {
			continue
		}
		n++
		for _, code := range []string{"CONSUMER_NOT_ONLINE", "TOPIC_NOT_EXIST", "SUBSCRIPTION_GROUP_NOT_EXIST"} {
			if !regexp.MustCompile(`unless rocketmq_exporter_rpc_errors_total\{[^}]*code=~"[^"]*\b` + code + `\b`).MatchString(r.Expr) {
				t.Errorf("%s does not leave out %s", r.Alert, code)
			}
		}
		if !regexp.MustCompile(`unless rocketmq_exporter_rpc_errors_total\{[^}]*request=~"VIEW_BROKER_STATS_DATA", code=~"SYSTEM_ERROR"`).MatchString(r.Expr) {
			t.Errorf("%s does not leave out the leak probes' SYSTEM_ERROR answers", r.Alert)
		}
	}
	if n == 0 {
		t.Fatal("no RPC-error alert")
	}
}

// TestForOverrides: _config.forOverrides changes an alert's for, which is
// how tests get alerts that fire within seconds.
func TestForOverrides(t *testing.T) {
	b, err := Alerts(`{ _config+:: { forOverrides+: { RocketMQBrokerLeakedStatItems: '0s' }, rocketmqExporterSelector: 'job="mq"' } }`)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range parseRules(t, b).Groups {
		for _, r := range g.Rules {
			if r.Alert == "RocketMQBrokerLeakedStatItems" && r.For != "0s" {
				t.Errorf("for = %q, want 0s", r.For)
			}
			if r.Alert == "RocketMQBrokerDown" && r.For == "0s" {
				t.Errorf("override leaked to %s", r.Alert)
			}
			if strings.Contains(r.Expr, `job="rocketmq"`) || !strings.Contains(r.Expr, `job="mq"`) {
				t.Errorf("%s: selector override not applied: %s", r.Alert, r.Expr)
			}
		}
	}
}

// TestPrometheusRuleMatchesAlerts: the PrometheusRule in deploy/ carries
// exactly the alert rules.
func TestPrometheusRuleMatchesAlerts(t *testing.T) {
	files := render(t)
	var pr struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec ruleFile `json:"spec"`
	}
	if err := yaml.UnmarshalStrict(files[PrometheusRuleFile], &pr); err != nil {
		t.Fatal(err)
	}
	if pr.APIVersion != "monitoring.coreos.com/v1" || pr.Kind != "PrometheusRule" || pr.Metadata.Name == "" {
		t.Errorf("not a PrometheusRule: %s %s %q", pr.APIVersion, pr.Kind, pr.Metadata.Name)
	}
	if want := parseRules(t, files[AlertsFile]); !reflect.DeepEqual(pr.Spec, want) {
		t.Error("the PrometheusRule's spec differs from alerts/rocketmq-alerts.yaml")
	}
}

type promtoolTests struct {
	RuleFiles []string `json:"rule_files"`
	Tests     []struct {
		Name           string `json:"name"`
		AlertRuleTests []struct {
			EvalTime  string `json:"eval_time"`
			Alertname string `json:"alertname"`
			ExpAlerts []struct {
				ExpLabels      map[string]string `json:"exp_labels"`
				ExpAnnotations map[string]string `json:"exp_annotations"`
			} `json:"exp_alerts"`
		} `json:"alert_rule_test"`
	} `json:"tests"`
}

// TestEveryAlertHasUnitTests: for every alert, and each of its severities,
// alerts/tests has a case where it fires (with its annotations checked),
// and a case where it must not fire.
func TestEveryAlertHasUnitTests(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(repoRoot(t), "alerts", "tests", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no alerts/tests/*.yaml (%v)", err)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var pt promtoolTests
		if err := yaml.Unmarshal(b, &pt); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !reflect.DeepEqual(pt.RuleFiles, []string{"../rocketmq-alerts.yaml"}) {
			t.Errorf("%s: rule_files %v, want [../rocketmq-alerts.yaml]", p, pt.RuleFiles)
		}
		for _, tc := range pt.Tests {
			for _, at := range tc.AlertRuleTests {
				if len(at.ExpAlerts) == 0 {
					quiet[at.Alertname] = true
				}
				for _, ea := range at.ExpAlerts {
					if ea.ExpAnnotations["summary"] == "" || ea.ExpAnnotations["description"] == "" || ea.ExpAnnotations["runbook_url"] == "" {
						t.Errorf("%s %q: %s fires without its annotations checked", filepath.Base(p), tc.Name, at.Alertname)
					}
					fires[at.Alertname+"/"+ea.ExpLabels["severity"]] = true
				}
			}
		}
	}
	for _, r := range alerts(t) {
		if !fires[r.Alert+"/"+r.Labels["severity"]] {
			t.Errorf("%s (%s): no test where it fires", r.Alert, r.Labels["severity"])
		}
		if !quiet[r.Alert] {
			t.Errorf("%s: no test where it must not fire", r.Alert)
		}
	}
}

// TestRunbooks: docs/runbooks.md has a section per alert, with its
// meaning, impact and what to do, and no section for an alert that is gone.
func TestRunbooks(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "runbooks.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	var cur string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "## ") {
			cur = strings.TrimSpace(strings.TrimPrefix(line, "## "))
			sections[cur] = ""
			continue
		}
		if cur != "" {
			sections[cur] += line + "\n"
		}
	}
	names := map[string]bool{}
	for _, r := range append(alerts(t), optInRules(t)...) {
		names[r.Alert] = true
	}
	for name := range names {
		body, ok := sections[name]
		if !ok {
			t.Errorf("docs/runbooks.md has no section \"## %s\"", name)
			continue
		}
		for _, part := range []string{"**Meaning**", "**Impact**", "**What to do**"} {
			if !strings.Contains(body, part) {
				t.Errorf("docs/runbooks.md section %s has no %s", name, part)
			}
		}
	}
	for s := range sections {
		if strings.HasPrefix(s, "RocketMQ") && !names[s] {
			t.Errorf("docs/runbooks.md has a section for %s, which is no alert", s)
		}
	}
}

func promtool(t *testing.T) string {
	t.Helper()
	return testtool.Need(t, "Debian: apt-get install prometheus", "promtool")
}

// writeRendered lays the rendered rule file and the unit tests out in a
// temporary tree, so promtool checks what the jsonnet renders now.
func writeRendered(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "alerts", "tests"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, AlertsFile), render(t)[AlertsFile], 0o644); err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob(filepath.Join(repoRoot(t), "alerts", "tests", "*.yaml"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "alerts", "tests", filepath.Base(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func run(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	t.Logf("%s %s:\n%s", filepath.Base(name), strings.Join(args, " "), out)
}

// TestPromtoolCheckRules: the rule file is valid and lint-clean.
func TestPromtoolCheckRules(t *testing.T) {
	pt := promtool(t)
	run(t, writeRendered(t), pt, "check", "rules", AlertsFile)
}

// TestPromtoolTestRules runs every alert unit test.
func TestPromtoolTestRules(t *testing.T) {
	pt := promtool(t)
	dir := writeRendered(t)
	paths, _ := filepath.Glob(filepath.Join(dir, "alerts", "tests", "*.yaml"))
	args := []string{"test", "rules"}
	for _, p := range paths {
		args = append(args, strings.TrimPrefix(p, dir+string(filepath.Separator)))
	}
	run(t, dir, pt, args...)
}

// TestDashboardPromQL: every panel query, variable query and annotation is
// valid PromQL (checked by promtool as recording rules, variables filled
// in).
func TestDashboardPromQL(t *testing.T) {
	checkDashboardPromQL(t, promtool(t), render(t))
}

// TestPromtoolClusterLabel: rendered with another cluster label, the
// rules and every dashboard query are still valid.
func TestPromtoolClusterLabel(t *testing.T) {
	pt := promtool(t)
	files, err := Render(`{ _config+:: { clusterLabel: 'exported_cluster' } }`)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), files[AlertsFile], 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, pt, "check", "rules", "rules.yaml")
	checkDashboardPromQL(t, pt, files)
}

func checkDashboardPromQL(t *testing.T, pt string, files map[string][]byte) {
	t.Helper()
	var b strings.Builder
	b.WriteString("groups:\n")
	for _, name := range Dashboards(files) {
		d, err := ParseDashboard(files[name])
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "- name: %q\n  rules:\n", d.UID)
		vals := map[string]string{}
		for _, v := range d.Templating.List {
			vals[v.Name] = "x.y" // a regex metacharacter, to check the escaping
			if cur := v.CurrentValue(); cur != "" {
				vals[v.Name] = cur // $top, a number
			}
		}
		add := func(expr string) {
			fmt.Fprintf(&b, "  - record: dashboard:query:%d\n    expr: %q\n", strings.Count(b.String(), "record:"), Expand(expr, vals, Intervals{Rate: "5m", Range: "1h"}))
		}
		for _, v := range d.Templating.List {
			if v.Type == "query" {
				expr, _, err := LabelValuesQuery(v.QueryString())
				if err != nil {
					t.Errorf("%s: variable %s: %v", name, v.Name, err)
					continue
				}
				add(expr)
			}
		}
		for _, p := range d.AllPanels() {
			for _, tg := range p.Targets {
				add(tg.Expr)
			}
		}
		for _, a := range d.Annotations.List {
			add(a.Expr)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "queries.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, pt, "check", "rules", "queries.yaml")
}
