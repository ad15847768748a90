package history

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/promserver"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/testtool"
)

// needPrometheus finds the prometheus binary; without it the test skips,
// or fails in CI (testtool).
func needPrometheus(t *testing.T) string {
	t.Helper()
	bin, err := promserver.Binary()
	if err != nil {
		testtool.Missing(t, "prometheus not installed (Debian: apt-get install prometheus; or set PROMETHEUS_BIN)")
	}
	return bin
}

// fakeExporter serves a settable /metrics body and counts the scrapes.
type fakeExporter struct {
	mu      sync.Mutex
	body    string
	scrapes int
}

func (f *fakeExporter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scrapes++
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprint(w, f.body)
}

// serveSet replaces the body and returns the scrape count at that moment.
func (f *fakeExporter) serveSet(body string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body = body
	return f.scrapes
}

func (f *fakeExporter) scraped() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.scrapes
}

// waitScrapes waits until n more scrapes than from happened.
func (f *fakeExporter) waitScrapes(ctx context.Context, t *testing.T, from, n int) {
	t.Helper()
	for f.scraped() < from+n {
		select {
		case <-ctx.Done():
			t.Fatalf("Prometheus scraped %d times, want %d: %v", f.scraped()-from, n, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// exposition renders topic and group info series in the exporter's shape.
func exposition(topics, groups [][3]string) string {
	var b strings.Builder
	b.WriteString("# HELP rocketmq_topic_info Always 1: a topic configured on the broker.\n# TYPE rocketmq_topic_info gauge\n")
	for _, s := range topics {
		fmt.Fprintf(&b, "rocketmq_topic_info{%scluster=\"DefaultCluster\",broker=%q,topic=%q,kind=\"normal\",order=\"false\"} 1\n", s[0], s[1], s[2])
	}
	b.WriteString("# HELP rocketmq_topic_read_queues Read queues.\n# TYPE rocketmq_topic_read_queues gauge\n")
	b.WriteString("rocketmq_topic_read_queues{cluster=\"DefaultCluster\",broker=\"broker-a\",topic=\"only-in-another-family\"} 4\n")
	b.WriteString("# HELP rocketmq_consumer_group_info Always 1: a consumer group.\n# TYPE rocketmq_consumer_group_info gauge\n")
	for _, s := range groups {
		fmt.Fprintf(&b, "rocketmq_consumer_group_info{%scluster=\"DefaultCluster\",broker=%q,group=%q,message_model=\"\",consume_type=\"\"} 1\n", s[0], s[1], s[2])
	}
	return b.String()
}

const twin = `target="ns2:9876",`

// TestRecallFromARealPrometheus serves topics and groups of two brokers (and
// a twin broker of a second target) to a real Prometheus, then stops serving
// one topic and one group; Prometheus no longer has them as current series,
// yet Recall still returns them, under the right broker, because they are
// in its history within the window.
func TestRecallFromARealPrometheus(t *testing.T) {
	bin := needPrometheus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	exp := &fakeExporter{}
	srv := httptest.NewServer(exp)
	defer srv.Close()
	start := exp.serveSet(exposition(
		[][3]string{{"", "broker-a", "t-keep"}, {"", "broker-a", "t-drop"}, {"", "broker-b", "t-b"}, {twin, "broker-a", "t-twin"}},
		[][3]string{{"", "broker-a", "g-keep"}, {"", "broker-a", "g-drop"}, {"", "broker-b", "%RETRY%g-b"}, {twin, "broker-a", "g-twin"}},
	))
	p, err := promserver.Start(ctx, bin, promserver.Config{Job: "rocketmq",
		Targets: []string{strings.TrimPrefix(srv.URL, "http://")}, Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("prometheus log:\n%s", p.Log())
		}
		p.Stop()
	}()
	exp.waitScrapes(ctx, t, start, 3)
	flip := exp.serveSet(exposition(
		[][3]string{{"", "broker-a", "t-keep"}, {"", "broker-b", "t-b"}, {twin, "broker-a", "t-twin"}},
		[][3]string{{"", "broker-a", "g-keep"}, {"", "broker-b", "%RETRY%g-b"}, {twin, "broker-a", "g-twin"}},
	))
	exp.waitScrapes(ctx, t, flip, 3)
	// Prometheus itself says the dropped ones are gone now.
	for _, expr := range []string{`rocketmq_topic_info{topic="t-drop"}`, `rocketmq_consumer_group_info{group="g-drop"}`} {
		if s, err := p.Query(ctx, expr); err != nil || len(s) != 0 {
			t.Fatalf("%s: %v %v; want no current series", expr, s, err)
		}
	}

	all := map[Broker]Names{
		bA:  {Topics: []string{"t-drop", "t-keep"}, Groups: []string{"g-drop", "g-keep"}},
		bB:  {Topics: []string{"t-b"}, Groups: []string{"%RETRY%g-b"}},
		bA2: {Topics: []string{"t-twin"}, Groups: []string{"g-twin"}},
	}
	for selector, want := range map[string]map[Broker]Names{
		``:                            all,
		`job="rocketmq"`:              all,
		`{job=~'rocket.*', env!="x"}`: all,
		`broker="broker-b"`:           {bB: all[bB]},
		`job="elsewhere"`:             {},
		`job=~"other|none"`:           {},
	} {
		src := mustPrometheus(t, PrometheusConfig{URL: p.URL, Selector: selector, Window: time.Hour})
		got, err := src.Recall(ctx)
		if err != nil {
			t.Fatalf("selector %s: %v", selector, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("selector %s: Recall = %v, want %v", selector, got, want)
		}
	}
}
