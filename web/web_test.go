package web

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// fakeSource is a Source whose snapshot the test publishes.
type fakeSource struct {
	snap  atomic.Pointer[snapshot.Snapshot]
	ready chan struct{}
	once  sync.Once
}

func newFakeSource() *fakeSource { return &fakeSource{ready: make(chan struct{})} }

func (f *fakeSource) Snapshot() *snapshot.Snapshot { return f.snap.Load() }
func (f *fakeSource) Ready() <-chan struct{}       { return f.ready }

func (f *fakeSource) publish(s *snapshot.Snapshot) {
	f.snap.Store(s)
	f.once.Do(func() { close(f.ready) })
}

type fakeSeries map[string]int

func (f fakeSeries) LastSeries() map[string]int { return f }

func get(t *testing.T, h http.Handler, path string) (int, http.Header, string) {
	t.Helper()
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest("GET", path, nil))
	body, _ := io.ReadAll(rr.Result().Body)
	return rr.Code, rr.Header(), string(body)
}

func newTestRouter(src Source, telemetryPath string) http.Handler {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "web_test_gauge", Help: "A gauge for the test."})
	g.Set(42)
	reg.MustRegister(g)
	return NewRouter(Options{
		TelemetryPath: telemetryPath,
		Version:       "1.2.3-test",
		Gatherer:      reg,
		Source:        src,
		Series:        fakeSeries{"rocketmq_up": 2, "rocketmq_topic_info": 5},
	})
}

func testSnapshot(now time.Time) *snapshot.Snapshot {
	return &snapshot.Snapshot{
		Seq: 7, Started: now.Add(-3*time.Second - 250*time.Millisecond), Finished: now.Add(-3 * time.Second),
		Self: snapshot.Self{Removed: map[string]int64{"broker": 0, "client": 1, "cluster": 0, "group": 3, "topic": 2}},
		Targets: []*snapshot.Target{
			{Namesrvs: []string{"10.0.0.1:9876", "10.0.0.2:9876"}, Up: true, Namesrv: "10.0.0.1:9876", Clusters: []string{"ClusterA"}, LastSuccess: now.Add(-3 * time.Second)},
			{Namesrvs: []string{"10.9.9.9:9876"}, Err: "dial tcp 10.9.9.9:9876: connection refused"},
		},
		Brokers: []*snapshot.Broker{
			// Out of order on purpose: the page sorts by Key.
			{Cluster: "ClusterA", Name: "broker-b", ID: 1, Addr: "10.0.0.4:10911", Role: snapshot.RoleSlave,
				Err: `read: connection reset <script>alert(1)</script>`, LastSuccess: now.Add(-2 * time.Minute)},
			{Cluster: "ClusterA", Name: "broker-a", ID: 0, Addr: "10.0.0.3:10911", Role: snapshot.RoleMaster,
				Up: true, LastSuccess: now.Add(-3 * time.Second), Duration: 120 * time.Millisecond, Version: "V5_3_3",
				Topics: make([]snapshot.Topic, 4), Groups: make([]snapshot.Group, 2),
				Leaks:  &snapshot.LeakReport{StatItems: map[string]int{"TOPIC_PUT_NUMS": 2, "GROUP_GET_NUMS": 1}},
				Stages: []snapshot.Stage{{Name: "runtime_info", OK: true}, {Name: "topic_stats", LastErr: "SYSTEM_ERROR: disk <full>"}}},
			{Cluster: "ClusterA", Name: "broker-c", ID: 0, Addr: "10.0.0.5:10911", Role: snapshot.RoleMaster,
				Stale: true, Err: "timeout", LastSuccess: now.Add(-40 * time.Second), Version: "V5_3_3"},
		},
	}
}

func TestHealthz(t *testing.T) {
	h := newTestRouter(newFakeSource(), "")
	code, _, body := get(t, h, "/healthz")
	if code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz = %d %q, want 200 ok", code, body)
	}
}

func TestReadyzBeforeAndAfterFirstSnapshot(t *testing.T) {
	src := newFakeSource()
	h := newTestRouter(src, "")
	if code, _, body := get(t, h, "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz before any snapshot = %d %q, want 503", code, body)
	}
	// /healthz does not depend on collections.
	if code, _, _ := get(t, h, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz before any snapshot = %d, want 200", code)
	}
	src.publish(testSnapshot(time.Now()))
	if code, _, body := get(t, h, "/readyz"); code != http.StatusOK || body != "ready\n" {
		t.Errorf("/readyz after the first snapshot = %d %q, want 200 ready", code, body)
	}
}

func TestTelemetryPath(t *testing.T) {
	h := newTestRouter(newFakeSource(), "/custom")
	code, _, body := get(t, h, "/custom")
	if code != http.StatusOK || !strings.Contains(body, "web_test_gauge 42") {
		t.Errorf("/custom = %d, want the gatherer's series:\n%s", code, body)
	}
	if code, _, _ := get(t, h, "/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics with --web.telemetry-path=/custom = %d, want 404", code)
	}
	_, _, page := get(t, h, "/")
	if !strings.Contains(page, `href="./custom"`) {
		t.Errorf("landing page does not link the telemetry path /custom")
	}
}

func TestLandingBeforeFirstCollection(t *testing.T) {
	h := newTestRouter(newFakeSource(), "")
	code, hdr, body := get(t, h, "/")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("/ = %d %s", code, hdr.Get("Content-Type"))
	}
	for _, want := range []string{`<code id="version">1.2.3-test</code>`, `href="./metrics"`, `href="./healthz"`, `href="./readyz"`,
		"No collection has completed yet."} {
		if !strings.Contains(body, want) {
			t.Errorf("landing page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="brokers"`) {
		t.Errorf("broker table shown before any collection")
	}
}

func TestLandingShowsEveryBroker(t *testing.T) {
	src := newFakeSource()
	h := newTestRouter(src, "")
	src.publish(testSnapshot(time.Now()))
	code, _, body := get(t, h, "/")
	if code != http.StatusOK {
		t.Fatalf("/ = %d", code)
	}
	if got := text(firstMatch(body, `(?s)<td id="status">(.*?)</td>`)); !regexp.MustCompile(`^#7 finished [0-9]+s ago in 250 ms$`).MatchString(got) {
		t.Errorf("status = %q", got)
	}
	if got := text(firstMatch(body, `<span id="series">(.*?)</span>`)); got != "7" {
		t.Errorf("series served = %q, want 7 (the sum over families)", got)
	}
	removed := cellsByAttr(firstMatch(body, `(?s)<table id="removed">(.*?)</table>`), "data-kind")
	for kind, want := range map[string]string{"topic": "2", "group": "3", "client": "1", "broker": "0", "cluster": "0"} {
		if removed[kind] != want {
			t.Errorf("series removed, %s = %q, want %s", kind, removed[kind], want)
		}
	}
	// A broker that is up with a failing stage says which, with its error.
	if !strings.Contains(body, `<div class="stage-error" data-stage="topic_stats">topic_stats: SYSTEM_ERROR: disk &lt;full&gt;</div>`) ||
		strings.Contains(body, `data-stage="runtime_info"`) {
		t.Errorf("the broker row should show the failing stage topic_stats with its error, and no stage that answers")
	}
	targets := regexp.MustCompile(`(?s)<tr class="target" data-state="(\w+)">`).FindAllStringSubmatch(body, -1)
	if len(targets) != 2 || targets[0][1] != "up" || targets[1][1] != "down" {
		t.Errorf("target rows %v, want one up and one down", targets)
	}
	if !strings.Contains(body, "10.0.0.1:9876, 10.0.0.2:9876") || !strings.Contains(body, "connection refused") {
		t.Errorf("target table lacks the namesrvs or the error")
	}

	rows := brokerRows(body)
	if len(rows) != 3 {
		t.Fatalf("%d broker rows, want 3:\n%s", len(rows), body)
	}
	want := []map[string]string{
		{"data-state": "up", "cluster": "ClusterA", "name": "broker-a", "addr": "10.0.0.3:10911", "role": "master", "state": "up",
			"version": "V5_3_3", "duration": "120 ms", "topics": "4", "groups": "2", "leaked": "3", "error": "topic_stats: SYSTEM_ERROR: disk <full>"},
		{"data-state": "down", "name": "broker-b", "addr": "10.0.0.4:10911", "role": "slave", "state": "down",
			"last-success": "2m0s ago", "error": "read: connection reset <script>alert(1)</script>"},
		{"data-state": "stale", "name": "broker-c", "state": "stale", "leaked": "not probed", "error": "timeout"},
	}
	for i, w := range want {
		for k, v := range w {
			if rows[i][k] != v {
				t.Errorf("broker row %d: %s = %q, want %q", i, k, rows[i][k], v)
			}
		}
	}
	if ls := rows[0]["last-success"]; !regexp.MustCompile(`^[0-9]+s ago$`).MatchString(ls) {
		t.Errorf("last success of the up broker = %q", ls)
	}
	if strings.Contains(body, "<script>alert(1)") {
		t.Errorf("a broker's error is not escaped")
	}
	if !strings.Contains(body, `title="GROUP_GET_NUMS: 1`) || !strings.Contains(body, "TOPIC_PUT_NUMS: 2") {
		t.Errorf("leaked stat items are not broken down by stats name")
	}
}

func TestLandingNotScrapedYet(t *testing.T) {
	src := newFakeSource()
	h := NewRouter(Options{Version: "v", Gatherer: prometheus.NewRegistry(), Source: src, Series: fakeSeries{}})
	src.publish(&snapshot.Snapshot{Seq: 1, Started: time.Now(), Finished: time.Now()})
	_, _, body := get(t, h, "/")
	if !strings.Contains(body, `<span id="series">0</span> <span class="muted">(not scraped yet)</span>`) {
		t.Errorf("no hint that nothing was scraped yet")
	}
	if strings.Contains(body, `id="removed"`) {
		t.Errorf("removal table shown for a snapshot without removal totals")
	}
}

var (
	tagRE    = regexp.MustCompile(`<[^>]*>`)
	rowRE    = regexp.MustCompile(`(?s)<tr class="broker"([^>]*)>(.*?)</tr>`)
	attrRE   = regexp.MustCompile(`([\w-]+)="([^"]*)"`)
	tdRE     = regexp.MustCompile(`(?s)<td class="([\w-]+)[^"]*"[^>]*>(.*?)</td>`)
	spacesRE = regexp.MustCompile(`\s+`)
)

// text is the visible text of an HTML fragment.
func text(s string) string {
	return strings.TrimSpace(spacesRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(s, "")), " "))
}

func firstMatch(s, re string) string {
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}

// brokerRows reads the broker table: per row, its data- attributes and the
// text of each cell by the cell's first class.
func brokerRows(page string) []map[string]string {
	var rows []map[string]string
	for _, m := range rowRE.FindAllStringSubmatch(page, -1) {
		row := map[string]string{}
		for _, a := range attrRE.FindAllStringSubmatch(m[1], -1) {
			row[a[1]] = html.UnescapeString(a[2])
		}
		for _, c := range tdRE.FindAllStringSubmatch(m[2], -1) {
			row[c[1]] = text(c[2])
		}
		rows = append(rows, row)
	}
	return rows
}

// cellsByAttr maps the value of attr on each <td> to the cell's text.
func cellsByAttr(fragment, attr string) map[string]string {
	out := map[string]string{}
	re := regexp.MustCompile(`(?s)<td[^>]*\b` + attr + `="([^"]*)"[^>]*>(.*?)</td>`)
	for _, m := range re.FindAllStringSubmatch(fragment, -1) {
		out[m[1]] = text(m[2])
	}
	return out
}
