package mixin

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// grafana/dashboard-linter cannot be installed here, so this test checks
// its rules (and mixtool's title/uid rule) on the rendered dashboards:
//
//   - template-datasource-rule: a `datasource` variable of type datasource
//     for Prometheus; panel-datasource-rule: every panel and query uses it
//     (no hard-coded datasource UID anywhere)
//   - template-job-rule, template-instance-rule: `job` and `instance`
//     variables; target-job-rule, target-instance-rule: every selector of
//     every query filters on them (with =~, as multi-value variables need)
//   - template-on-time-change-reload-rule: query variables refresh on
//     time-range change
//   - target-rate-interval-rule: every range is [$__rate_interval], or
//     [$__range] for a ranking over the time range shown (topN) or an
//     instant table of it
//   - target-counter-agg-rule: counters (_total) only inside rate,
//     irate or increase
//   - panel-title-description-rule, panel-units-rule: title, description
//     and unit on every panel
//   - dashboards are not editable, have a uid and a title
//
// plus this mixin's own: cluster and broker variables everywhere, topic and
// group where the dashboard is about them, a single-value $top where
// panels show the top N, known Grafana units, panels in the 24-column
// grid, and annotations held to the same rules as panel queries.

// Grafana's built-in variables the queries may use.
var builtins = map[string]bool{"__rate_interval": true, "__range": true}

// Grafana unit ids the dashboards may use.
var knownUnits = map[string]bool{
	"none": true, "short": true, "percentunit": true, "s": true, "ms": true, "bytes": true, "Bps": true,
	"mps": true, "ops": true, "reqps": true, "dateTimeFromNow": true,
}

// The variables each dashboard must have, in this order, besides
// datasource, job and instance.
var wantVars = map[string][]string{
	"dashboards/rocketmq-overview.json":        {"cluster", "broker", "top"},
	"dashboards/rocketmq-topics.json":          {"cluster", "broker", "topic", "top"},
	"dashboards/rocketmq-consumer-groups.json": {"cluster", "broker", "group", "topic", "top"},
	"dashboards/rocketmq-exporter.json":        {"cluster", "broker"},
}

func TestDashboardLint(t *testing.T) {
	files := render(t)
	uids, titles := map[string]bool{}, map[string]bool{}
	names := Dashboards(files)
	if len(names) != len(wantVars) {
		t.Errorf("dashboards %v, want those of wantVars", names)
	}
	for _, name := range names {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(name, "dashboards/"), ".json"), func(t *testing.T) {
			for _, err := range lintDashboard(name, files[name]) {
				t.Error(err)
			}
		})
		d, err := ParseDashboard(files[name])
		if err != nil {
			continue
		}
		if uids[d.UID] || titles[d.Title] {
			t.Errorf("%s: uid %q or title %q used twice", name, d.UID, d.Title)
		}
		uids[d.UID], titles[d.Title] = true, true
	}
}

func lintDashboard(name string, raw []byte) (errs []error) {
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	d, err := ParseDashboard(raw)
	if err != nil {
		return []error{err}
	}
	if d.UID == "" || len(d.UID) > 40 || d.Title == "" || d.Description == "" {
		fail("uid %q (1-40 chars), title %q and description must be set", d.UID, d.Title)
	}
	if d.Editable {
		fail("dashboard is editable")
	}
	if !contains(d.Tags, "rocketmq") {
		fail("no rocketmq tag")
	}

	// No hard-coded datasource anywhere in the JSON.
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return append(errs, err)
	}
	walkDatasources(generic, "", func(path string, ds any) {
		switch v := ds.(type) {
		case string:
			if v != "$datasource" && v != "${datasource}" {
				fail("%s: datasource %q is not the datasource variable", path, v)
			}
		case map[string]any:
			if v["uid"] != "${datasource}" && v["uid"] != "$datasource" {
				fail("%s: datasource uid %v is not the datasource variable", path, v["uid"])
			}
		default:
			fail("%s: datasource %v", path, ds)
		}
	})

	// Variables: defined maps each to whether it takes several values.
	defined := map[string]bool{}
	var order []string
	for i, v := range d.Templating.List {
		if i == 0 {
			if v.Name != "datasource" || v.Type != "datasource" || string(v.Query) != `"prometheus"` {
				fail("first variable must be the Prometheus datasource variable, got %s (%s)", v.Name, v.Type)
			}
			defined[v.Name] = false
			continue
		}
		order = append(order, v.Name)
		if v.Name == "top" {
			lintTopVar(v, fail)
			defined[v.Name] = false
			continue
		}
		if v.Type != "query" {
			fail("variable %s: type %s, want query", v.Name, v.Type)
			continue
		}
		if v.Refresh != 2 {
			fail("variable %s: refresh %d, want 2 (on time range change)", v.Name, v.Refresh)
		}
		if !v.Multi || !v.IncludeAll {
			fail("variable %s: want multi-value with All", v.Name)
		}
		q := v.QueryString()
		if v.Definition != q {
			fail("variable %s: definition %q differs from query %q", v.Name, v.Definition, q)
		}
		if _, _, err := LabelValuesQuery(q); err != nil {
			fail("variable %s: %v", v.Name, err)
		}
		refs, _ := VarRefs(q)
		for _, r := range refs {
			if _, ok := defined[r]; !ok {
				fail("variable %s uses $%s before it is defined", v.Name, r)
			}
		}
		defined[v.Name] = true
	}
	if want := append([]string{"job", "instance"}, wantVars[name]...); strings.Join(order, ",") != strings.Join(want, ",") {
		fail("variables %v, want %v", order, want)
	}

	// Annotations: queries like the panels'.
	for _, a := range d.Annotations.List {
		if a.Name == "" || a.Step == "" || a.TitleFormat == "" {
			fail("annotation %q: name, step and title must be set", a.Name)
		}
		for _, err := range lintExpr(a.Expr, defined) {
			fail("annotation %q: %v", a.Name, err)
		}
	}

	// Panels.
	ids := map[int]bool{}
	for _, p := range d.AllPanels() {
		where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if ids[p.ID] || p.ID == 0 {
			fail("%s: id missing or used twice", where)
		}
		ids[p.ID] = true
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X < 0 || p.GridPos.X+p.GridPos.W > 24 {
			fail("%s: gridPos %+v outside the 24-column grid", where, p.GridPos)
		}
		if p.Title == "" {
			fail("%s: no title", where)
		}
		if p.Type == "row" {
			continue
		}
		if p.Description == "" {
			fail("%s: no description", where)
		}
		if u := p.FieldConfig.Defaults.Unit; !knownUnits[u] {
			fail("%s: unit %q is missing or not a known Grafana unit", where, u)
		}
		if len(p.Targets) == 0 {
			fail("%s: no queries", where)
		}
		for _, tg := range p.Targets {
			for _, err := range lintExpr(tg.Expr, defined) {
				fail("%s query %s: %v", where, tg.RefID, err)
			}
			if tg.RefID == "" {
				fail("%s: a query without refId", where)
			}
		}
	}
	return errs
}

// lintTopVar: $top is a single choice among numbers, one of them current.
func lintTopVar(v Variable, fail func(string, ...any)) {
	if v.Type != "custom" || v.Multi || v.IncludeAll {
		fail("variable top: type %s multi %v includeAll %v, want a single-value custom variable", v.Type, v.Multi, v.IncludeAll)
	}
	choices := strings.Split(v.QueryString(), ",")
	for _, c := range choices {
		if n, err := strconv.Atoi(c); err != nil || n <= 0 {
			fail("variable top: choice %q is not a positive number", c)
		}
	}
	if !contains(choices, v.CurrentValue()) {
		fail("variable top: current %q is not one of %v", v.CurrentValue(), choices)
	}
}

// lintExpr checks one panel query; defined maps the dashboard's variables
// to whether they take several values.
func lintExpr(expr string, defined map[string]bool) (errs []error) {
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if strings.TrimSpace(expr) == "" {
		return []error{fmt.Errorf("empty expression")}
	}
	sels, ranges, err := ScanPromQL(expr)
	if err != nil {
		return []error{err}
	}
	if len(sels) == 0 {
		fail("no metric selector in %s", expr)
	}
	for _, r := range ranges {
		if r != "$__rate_interval" && r != "$__range" {
			fail("range [%s], want [$__rate_interval] or [$__range]: %s", r, expr)
		}
	}
	for _, s := range sels {
		if s.Name == "" {
			fail("a selector without metric name: {%s}", s.Matchers)
			continue
		}
		for _, m := range []string{`job=~"$job"`, `instance=~"$instance"`} {
			if !strings.Contains(s.Matchers, m) {
				fail("%s does not filter %s", s.Name, m)
			}
		}
		if strings.HasSuffix(s.Name, "_total") && !s.InCall("rate", "irate", "increase") {
			fail("counter %s is not inside rate, irate or increase", s.Name)
		}
	}
	names, inRegex := VarRefs(expr)
	for i, n := range names {
		if builtins[n] {
			continue
		}
		multi, ok := defined[n]
		if !ok {
			fail("$%s is not a variable of the dashboard", n)
		}
		if multi && !inRegex[i] {
			fail("$%s is not used as =~\"$%s\" (multi-value variables need a regex matcher)", n, n)
		}
	}
	return errs
}

func walkDatasources(v any, path string, f func(string, any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if k == "datasource" {
				f(path+"."+k, c)
				continue
			}
			walkDatasources(c, path+"."+k, f)
		}
	case []any:
		for i, c := range x {
			walkDatasources(c, fmt.Sprintf("%s[%d]", path, i), f)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestLintCatchesMistakes feeds the linter broken dashboards, so a lint that
// silently passes everything fails here.
func TestLintCatchesMistakes(t *testing.T) {
	good := render(t)["dashboards/rocketmq-overview.json"]
	if errs := lintDashboard("dashboards/rocketmq-overview.json", good); len(errs) != 0 {
		t.Fatalf("the rendered dashboard fails lint: %v", errs)
	}
	for _, c := range []struct{ name, from, to, want string }{
		{"editable", `"editable": false`, `"editable": true`, "editable"},
		{"hard-coded datasource", `"uid": "${datasource}"`, `"uid": "P1809F7CD0C75ACF3"`, "not the datasource variable"},
		{"fixed range", `[$__rate_interval]`, `[5m]`, "want [$__rate_interval]"},
		{"raw counter", `rate(rocketmq_broker_put_messages_total`, `abs(rocketmq_broker_put_messages_total`, "not inside rate"},
		{"no job filter", `rocketmq_broker_put_bytes_total{job=~\"$job\", `, `rocketmq_broker_put_bytes_total{`, `does not filter job`},
		{"no unit", `"unit": "Bps"`, `"unit": ""`, "unit"},
		{"no description", `"description": "Message bytes each broker stored per second (rocketmq_broker_put_bytes_total)."`, `"description": ""`, "no description"},
		{"equality matcher", `cluster=~\"$cluster\"`, `cluster=\"$cluster\"`, "regex matcher"},
	} {
		bad := strings.Replace(string(good), c.from, c.to, 1)
		if bad == string(good) {
			t.Errorf("%s: %q not found in the dashboard", c.name, c.from)
			continue
		}
		errs := lintDashboard("dashboards/rocketmq-overview.json", []byte(bad))
		found := false
		for _, e := range errs {
			found = found || strings.Contains(e.Error(), c.want)
		}
		if !found {
			t.Errorf("%s: lint did not report %q (got %v)", c.name, c.want, errs)
		}
	}
}

func TestScanPromQL(t *testing.T) {
	sels, ranges, err := ScanPromQL(`sum by (cluster) (rate(a_total{job=~"$job", x="}"}[$__rate_interval])) / on (cluster) group_left max(b{y="1"} offset 5m) or vector(0) and topk(3, c)`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range sels {
		got = append(got, fmt.Sprintf("%s{%s}%v", s.Name, s.Matchers, s.Calls))
	}
	want := []string{`a_total{job=~"$job", x="}"}[sum rate]`, `b{y="1"}[max]`, `c{}[topk]`}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("selectors %v, want %v", got, want)
	}
	if len(ranges) != 1 || ranges[0] != "$__rate_interval" {
		t.Errorf("ranges %v", ranges)
	}
}
