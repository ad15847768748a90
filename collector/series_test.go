package collector_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/collector"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// The documented shape (cmd/benchreal, cmd/seriesreal): 1,000 topics of 4
// queues, 500 groups, group i consuming topic i, 10 groups online and the
// others offline, 3 messages behind, no traffic while counting.
const (
	shapeTopics = 1000
	shapeGroups = 500
	// javaSeries is what the Java exporter (apache/rocketmq-exporter)
	// served in that shape, measured side by side with this exporter on
	// one real 5.3.3 broker (issue #14).
	javaSeries = 14140
	// activeWindow is how long the poller treats a topic or pair as
	// moving after it first sees it (poller/topics.go): the rate families
	// of idle topics are served from then on, as they are in steady state.
	activeWindow = 70 * time.Second
	// javaFlags is the flag set docs/migrating-from-java.md documents for
	// the Java exporter's dashboards; javaSet below is the same in Settings.
	javaFlags = "--collect.compat-metrics --collect.client-running-info --no-collect.topic-metrics"
)

func javaSet(s *app.Settings) {
	s.Compat, s.RunningInfo, s.TopicMetrics = true, true, false
}

// flagSet is one way to run the exporter, counted.
type flagSet struct {
	name, flags string
	mod         func(*app.Settings)
}

var flagSets = []flagSet{
	{"default", "(none)", func(*app.Settings) {}},
	{"Java dashboards", javaFlags, javaSet},
	{"Java families alone", javaFlags + " --no-collect.group-metrics",
		func(s *app.Settings) { javaSet(s); s.GroupMetrics = false }},
	{"Java and shipped dashboards", "--collect.compat-metrics --collect.client-running-info",
		func(s *app.Settings) { s.Compat, s.RunningInfo = true, true }},
	{"every family", "--collect.compat-metrics --collect.queue-metrics --collect.client-running-info --collect.message-rates",
		func(s *app.Settings) {
			s.Compat, s.QueueMetrics, s.RunningInfo, s.MessageRates = true, true, true, true
		}},
}

// TestSeriesPerFamilySet counts, on the simulator in the documented shape
// and in steady state, the series each family serves, and what the flag
// sets serve in all: the table of docs/metrics.md, the Java dashboards'
// flag set held at or under the Java exporter's count, serving every
// family the Java dashboard (Grafana 10477) queries.
func TestSeriesPerFamilySet(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the poller's 70 s activity window")
	}
	// One topic in the shape takes puts every cycle: the simulator reports
	// the put-latency distribution (Java's pmdt families) only within a
	// minute of a put, where a real broker reports it in steady state
	// (cmd/seriesreal).
	sim := exportertest.Sim(t, simbroker.Options{Topics: shapeTopics, Groups: shapeGroups, Queues: 4,
		OnlineEvery: shapeGroups / 10, ActiveEvery: shapeTopics, OfflineLag: 3})
	apps := make([]*app.App, len(flagSets))
	for i, fs := range flagSets {
		s := exportertest.Settings(sim.Namesrv.Addr)
		s.CycleTimeout = time.Minute
		fs.mod(&s)
		apps[i] = exportertest.App(t, s)
	}
	steady(t, sim, apps)
	counts := make([]familyCounts, len(apps))
	for i, a := range apps {
		counts[i] = scrapeCounts(t, a)
	}

	if n := counts[1].total(); n > javaSeries {
		t.Errorf("the Java dashboards' flag set (%s) serves %d series at %d topics / %d groups, more than the Java exporter's %d",
			javaFlags, n, shapeTopics, shapeGroups, javaSeries)
	}
	for _, name := range grafana10477Families(t) {
		if counts[1].series[name] == 0 {
			t.Errorf("Grafana 10477 queries %s, which the Java dashboards' flag set (%s) does not serve", name, javaFlags)
		}
	}
	migrating, err := os.ReadFile("../docs/migrating-from-java.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(migrating), javaFlags) {
		t.Errorf("docs/migrating-from-java.md does not give the flag set %q", javaFlags)
	}
	checkSeriesDocs(t, seriesTables(counts))
}

// steady runs cycles of every app until the activity window has passed
// since their first, so every idle topic and pair has its zero rates.
func steady(t *testing.T, sim *simbroker.Cluster, apps []*app.App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	for {
		sim.Tick()
		for _, a := range apps {
			s := a.Cycle(ctx)
			for _, b := range s.Brokers {
				if !b.Up {
					t.Fatalf("cycle %d: %s down: %s", s.Seq, b.Name, b.Err)
				}
			}
		}
		if time.Since(start) > activeWindow+5*time.Second {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(5 * time.Second):
		}
	}
}

// familyCounts are one scrape's series by family and by what they grow with.
type familyCounts struct {
	series map[string]int
	scope  map[string]string
}

func (c familyCounts) total() int {
	n := 0
	for _, v := range c.series {
		n += v
	}
	return n
}

var labelName = regexp.MustCompile(`(?:^|,)([a-zA-Z_][a-zA-Z0-9_]*)="`)

// scrapeCounts serves a's /metrics and counts its series per family, each
// family's scope read from its label names.
func scrapeCounts(t *testing.T, a *app.App) familyCounts {
	t.Helper()
	rec := httptest.NewRecorder()
	a.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, a.Settings.TelemetryPath, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics answered %d", rec.Code)
	}
	c := familyCounts{series: map[string]int{}, scope: map[string]string{}}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name, labels := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name = line[:i]
			if line[i] == '{' {
				labels = line[i+1 : strings.LastIndexByte(line, '}')]
			}
		}
		c.series[name]++
		c.scope[name] = scopeOf(labels)
	}
	return c
}

// Scopes: what a family's series grow with.
const (
	perTopic = "topic"
	perGroup = "group"
	perPair  = "group and topic"
	perOther = "queue, client or broker, or fixed"
)

func scopeOf(labels string) string {
	has := map[string]bool{}
	for _, m := range labelName.FindAllStringSubmatch(labels, -1) {
		has[m[1]] = true
	}
	switch {
	case has["queue_id"] || has["client_id"] || has["clientId"]:
		return perOther
	case has["topic"] && has["group"]:
		return perPair
	case has["topic"]:
		return perTopic
	case has["group"]:
		return perGroup
	}
	return perOther
}

// grafana10477Families are the metric names the Java dashboard's queries
// read (the expression column of its recorded queries).
func grafana10477Families(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../e2e/testdata/grafana-10477-queries.tsv")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`rocketmq_[a-z0-9_]+`)
	var out []string
	for _, line := range strings.Split(string(raw), "\n") {
		_, expr, ok := strings.Cut(line, "\t")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		for _, n := range name.FindAllString(expr, -1) {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	if len(out) < 40 {
		t.Fatalf("only %d metric names in the Grafana 10477 queries", len(out))
	}
	return out
}

// seriesTables renders the counts as docs/metrics.md shows them: the flag
// sets' totals, the series per family set (what each flag switches) and
// per family, every family on.
func seriesTables(counts []familyCounts) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n| Flag set | Flags | Series at %d topics / %d groups | Against the Java exporter's %d |\n|---|---|---|---|\n",
		shapeTopics, shapeGroups, javaSeries)
	for i, fs := range flagSets {
		n := counts[i].total()
		fmt.Fprintf(&b, "| %s | `%s` | %d | %.2f× |\n", fs.name, fs.flags, n, float64(n)/javaSeries)
	}
	all := counts[len(counts)-1]
	names := make([]string, 0, len(all.series))
	for n := range all.series {
		names = append(names, n)
	}
	slices.Sort(names)

	sets := map[string]map[string]int{} // served when → scope → series
	var setOrder []string
	for _, n := range names {
		w := servedWhen(n)
		if sets[w] == nil {
			sets[w] = map[string]int{}
			setOrder = append(setOrder, w)
		}
		sets[w][all.scope[n]] += all.series[n]
	}
	slices.Sort(setOrder)
	fmt.Fprintf(&b, "\n| Served when | Per topic | Per group | Per group and topic | Queues, clients, brokers, fixed | Series at %d / %d |\n|---|---|---|---|---|---|\n",
		shapeTopics, shapeGroups)
	for _, w := range setOrder {
		sc := sets[w]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d |\n", w, per(sc[perTopic], shapeTopics), per(sc[perGroup], shapeGroups),
			per(sc[perPair], shapeGroups), sc[perOther], sc[perTopic]+sc[perGroup]+sc[perPair]+sc[perOther])
	}
	fmt.Fprintf(&b, "\n| Family | Served when | Grows with | Series at %d / %d |\n|---|---|---|---|\n", shapeTopics, shapeGroups)
	others := 0 // client_golang's, in one row: they are not ours to trim
	for _, n := range names {
		if collector.ServedWhen(n) == "" {
			others += all.series[n]
			continue
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %d |\n", n, servedWhen(n), all.scope[n], all.series[n])
	}
	fmt.Fprintf(&b, "| `go_*`, `process_*`, `rocketmq_exporter_build_info` | %s | fixed | %d |\n", servedWhen(""), others)
	return b.String()
}

// servedWhen is the collector's own word, or client_golang's for its
// families.
func servedWhen(name string) string {
	if w := collector.ServedWhen(name); w != "" {
		return w
	}
	return "always (client_golang's build, runtime and process families)"
}

// per is a scope's series over the shape's count, with one decimal: system
// and retry topics make the figures a little over whole numbers.
func per(series, of int) string {
	if series == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(series)/float64(of))
}

const (
	seriesBegin = "<!-- BEGIN GENERATED by go test ./collector -run TestSeriesPerFamilySet -update; do not edit by hand -->"
	seriesEnd   = "<!-- END GENERATED SERIES -->"
)

// checkSeriesDocs holds docs/metrics.md's series section to tables, or
// rewrites it with -update.
func checkSeriesDocs(t *testing.T, tables string) {
	t.Helper()
	const path = "../docs/metrics.md"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, seriesBegin), strings.Index(doc, seriesEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the series section's markers", path)
	}
	want := seriesBegin + "\n" + tables + "\n" + seriesEnd
	if doc[i:j+len(seriesEnd)] == want {
		return
	}
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(path, []byte(doc[:i]+want+doc[j+len(seriesEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the series section of %s is out of date: run go test ./collector -run TestSeriesPerFamilySet -update", path)
	if testing.Verbose() {
		fmt.Println(tables)
	}
}
