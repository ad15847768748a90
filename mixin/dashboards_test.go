package mixin

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// exprs lists every PromQL text of a rendered dashboard: variable queries,
// panel queries and annotations, each with where it is.
func exprs(t *testing.T, d *Dashboard) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, v := range d.Templating.List {
		if q := v.QueryString(); v.Type == "query" && q != "" {
			out["variable "+v.Name] = q
		}
	}
	for _, p := range d.AllPanels() {
		for _, tg := range p.Targets {
			out[fmt.Sprintf("panel %q %s", p.Title, tg.RefID)] = tg.Expr
		}
	}
	for _, a := range d.Annotations.List {
		out["annotation "+a.Name] = a.Expr
	}
	return out
}

func dashboards(t *testing.T, files map[string][]byte) map[string]*Dashboard {
	t.Helper()
	out := map[string]*Dashboard{}
	for _, name := range Dashboards(files) {
		d, err := ParseDashboard(files[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = d
	}
	return out
}

// A fallback makes a query return something whatever the exporter serves:
// `or vector(0)`, or `or <other family> * 0`.
var fallbackRE = regexp.MustCompile(`\bor\s+(on\s*\([^)]*\)\s*)?vector\s*\(|\*\s*0(\.0*)?\s*($|[^.\d])`)

// TestNoFallbacks: no rendered dashboard query has a fallback, so the
// end-to-end test that every panel returns data can fail.
func TestNoFallbacks(t *testing.T) {
	for _, bad := range []string{`count(x == 0) or vector(0)`, `sum(x) or sum(y) * 0`, `a or on (c) b * 0.0`} {
		if !fallbackRE.MatchString(bad) {
			t.Errorf("the check misses the fallback in %s", bad)
		}
	}
	for _, good := range []string{`sum(x == bool 0)`, `x * 0.5`, `1000 * x`, `x * 10`} {
		if fallbackRE.MatchString(good) {
			t.Errorf("the check takes %s for a fallback", good)
		}
	}
	for name, d := range dashboards(t, render(t)) {
		for where, e := range exprs(t, d) {
			if fallbackRE.MatchString(e) {
				t.Errorf("%s %s: a fallback makes it return data whatever the exporter serves: %s", name, where, e)
			}
		}
	}
}

// TestNoJobBaked: the rendered dashboards select the job only through
// their job variable, which lists the jobs that scrape the exporter; a
// dashboardSelector narrows that list for those who render their own.
func TestNoJobBaked(t *testing.T) {
	jobMatcher := regexp.MustCompile(`\bjob\s*(=~|!~|!=|=)\s*"([^"]*)"`)
	check := func(files map[string][]byte, wantJobQuery string) {
		for name, d := range dashboards(t, files) {
			for where, e := range exprs(t, d) {
				for _, m := range jobMatcher.FindAllStringSubmatch(e, -1) {
					if where == "variable job" && m[0] == `job=~"rocketmq.*"` {
						continue
					}
					if m[1] != "=~" || m[2] != "$job" {
						t.Errorf("%s %s: job selector %s baked in: %s", name, where, m[0], e)
					}
				}
			}
			var got string
			for _, v := range d.Templating.List {
				if v.Name == "job" {
					got = v.QueryString()
				}
			}
			if got != wantJobQuery {
				t.Errorf("%s: job variable %q, want %q", name, got, wantJobQuery)
			}
		}
	}
	check(render(t), `label_values(rocketmq_exporter_build_info, job)`)
	files, err := Render(`{ _config+:: { dashboardSelector: 'job=~"rocketmq.*"' } }`)
	if err != nil {
		t.Fatal(err)
	}
	check(files, `label_values(rocketmq_exporter_build_info{job=~"rocketmq.*"}, job)`)
}

// TestClusterLabel: with _config.clusterLabel set, no alert or dashboard
// reads a label named cluster any more: matchers, by/on lists, legends,
// annotations, table links and alert texts all use the setting.
func TestClusterLabel(t *testing.T) {
	const name = "rocketmq_cluster"
	files, err := Render(`{ _config+:: { clusterLabel: '` + name + `' } }`)
	if err != nil {
		t.Fatal(err)
	}
	// The label name as PromQL or a Grafana template uses it; $cluster is
	// the dashboards' variable, which keeps its name.
	label := regexp.MustCompile(`(^|[^$\w])cluster\b`)
	if !label.Match(render(t)["dashboards/rocketmq-overview.json"]) {
		t.Fatal("the check does not see the label cluster in the default rendering")
	}
	seen := 0
	look := func(where, text string) {
		if label.MatchString(text) {
			t.Errorf("%s still reads the label cluster: %s", where, text)
		}
		seen += strings.Count(text, name)
	}
	for file, d := range dashboards(t, files) {
		for where, e := range exprs(t, d) {
			look(file+" "+where, e)
		}
		for _, p := range d.AllPanels() {
			for _, tg := range p.Targets {
				look(fmt.Sprintf("%s panel %q legend", file, p.Title), tg.LegendFormat)
			}
			for field, links := range p.Links() {
				look(fmt.Sprintf("%s panel %q links field", file, p.Title), field)
				for _, l := range links {
					look(fmt.Sprintf("%s panel %q link", file, p.Title), strings.ReplaceAll(l.URL, "var-cluster=", ""))
				}
			}
		}
		for _, a := range d.Annotations.List {
			look(file+" annotation "+a.Name, a.TextFormat+" "+a.TagKeys)
		}
	}
	rules := parseRules(t, files[AlertsFile])
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			look(r.Alert+" expr", r.Expr)
			for k, v := range r.Annotations {
				if strings.Contains(v, "$labels.cluster ") {
					t.Errorf("%s %s still reads $labels.cluster: %s", r.Alert, k, v)
				}
				seen += strings.Count(v, "$labels."+name)
			}
		}
	}
	if seen < 100 {
		t.Errorf("%s used %d times: the setting is not applied", name, seen)
	}
}

var byListRE = regexp.MustCompile(`\bby\s*\(([^)]*)\)`)

// labelsKept lists the labels named in an expression's by (...) clauses.
func labelsKept(expr string) map[string]bool {
	out := map[string]bool{}
	for _, m := range byListRE.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(m[1], ",") {
			out[strings.TrimSpace(l)] = true
		}
	}
	return out
}

// TestTopN: every time series panel with a line per topic or per group
// shows only the $top that rank highest, ranked over the whole range
// shown (at its end), so each step draws the same N lines.
func TestTopN(t *testing.T) {
	n := 0
	for name, d := range dashboards(t, render(t)) {
		for _, p := range d.AllPanels() {
			if p.Type != "timeseries" {
				continue
			}
			for _, tg := range p.Targets {
				// The first by list is the outermost aggregation's: the lines.
				m := byListRE.FindStringSubmatch(tg.Expr)
				if m == nil {
					continue
				}
				lines := labelsKept(m[0])
				if !lines["topic"] && !lines["group"] {
					continue
				}
				n++
				if !strings.Contains(tg.Expr, "topk($top, ") || !strings.Contains(tg.Expr, "@ end()") {
					t.Errorf("%s panel %q: a line per topic or group, not limited to the $top ranked over the range: %s", name, p.Title, tg.Expr)
				}
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d per-topic or per-group panels found", n)
	}
}

var (
	linkDashRE  = regexp.MustCompile(`^/d/([^/?]+)/[^?]*\?(.*)$`)
	linkFieldRE = regexp.MustCompile(`\$\{__data\.fields\.([A-Za-z_][A-Za-z0-9_]*)(:[a-z]+)?\}`)
)

// TestLinks: the overview's tables link to the detail dashboards: each
// link opens a rendered dashboard by uid, keeps the data source, job,
// instance and time range, sets only variables that dashboard has, from
// columns the table's query keeps, percent-encoded (topic names hold %).
func TestLinks(t *testing.T) {
	all := dashboards(t, render(t))
	byUID := map[string]*Dashboard{}
	for _, d := range all {
		byUID[d.UID] = d
	}
	targets := map[string]bool{}
	for name, d := range all {
		for _, p := range d.AllPanels() {
			for field, links := range p.Links() {
				kept := map[string]bool{}
				for _, tg := range p.Targets {
					for l := range labelsKept(tg.Expr) {
						kept[l] = true
					}
				}
				if field != "" && !kept[field] {
					t.Errorf("%s panel %q: links on column %q, which its query does not keep", name, p.Title, field)
				}
				for _, l := range links {
					checkLink(t, fmt.Sprintf("%s panel %q link %q", name, p.Title, l.Title), l.URL, byUID, kept)
					if m := linkDashRE.FindStringSubmatch(l.URL); m != nil {
						targets[m[1]] = true
					}
				}
			}
		}
	}
	for _, uid := range []string{"rocketmq-topics", "rocketmq-consumer-groups", "rocketmq-exporter"} {
		if !targets[uid] {
			t.Errorf("no table links to %s", uid)
		}
	}
}

func checkLink(t *testing.T, where, url string, byUID map[string]*Dashboard, kept map[string]bool) {
	t.Helper()
	m := linkDashRE.FindStringSubmatch(url)
	if m == nil {
		t.Errorf("%s: %q is not a /d/<uid>/… link", where, url)
		return
	}
	target := byUID[m[1]]
	if target == nil {
		t.Errorf("%s: no dashboard has uid %q", where, m[1])
		return
	}
	vars := map[string]bool{}
	for _, v := range target.Templating.List {
		vars[v.Name] = true
	}
	params := strings.Split(m[2], "&")
	for _, keep := range []string{"${datasource:queryparam}", "${job:queryparam}", "${instance:queryparam}", "${__url_time_range}"} {
		if !contains(params, keep) {
			t.Errorf("%s: does not pass %s", where, keep)
		}
	}
	for _, p := range params {
		name, value, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		if !vars[strings.TrimPrefix(name, "var-")] {
			t.Errorf("%s: sets %s, not a variable of %s", where, name, target.UID)
		}
		for _, f := range linkFieldRE.FindAllStringSubmatch(value, -1) {
			if !kept[f[1]] {
				t.Errorf("%s: reads column %s, which the query does not keep", where, f[1])
			}
			if f[2] != ":percentencode" {
				t.Errorf("%s: %s is not percent-encoded", where, f[0])
			}
		}
	}
}

// TestRestartAnnotations: every dashboard marks broker starts, from the
// boot time the exporter serves, filtered like its panels.
func TestRestartAnnotations(t *testing.T) {
	for name, d := range dashboards(t, render(t)) {
		found := false
		for _, a := range d.Annotations.List {
			if strings.Contains(a.Expr, "rocketmq_broker_boot_time_seconds{") && a.UseValueForTime && a.Enable &&
				strings.HasPrefix(a.Expr, "1000 * ") && strings.Contains(a.Expr, `broker=~"$broker"`) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no broker restart annotation (boot time as the event time, in ms, filtered by $broker)", name)
		}
	}
}
