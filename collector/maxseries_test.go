package collector

import (
	"bytes"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// budget is what --max-series counts: every family but the meta ones.
func budget(counts map[string]int) int {
	n := 0
	for f, c := range counts {
		if f != "rocketmq_exporter_series" && f != "rocketmq_exporter_series_dropped" {
			n += c
		}
	}
	return n
}

func prioOf() map[string]int {
	m := map[string]int{}
	for _, f := range allFamilies() {
		m[f.name] = f.prio
	}
	return m
}

func TestMaxSeriesDropsClientAndQueueFirst(t *testing.T) {
	full := seriesByFamily(gather(t, newTestCollector(fixtureSnapshot(), allOn())))
	total := budget(full)
	prio := prioOf()
	low := map[string]int{} // client and queue families that served something
	for f, n := range full {
		if prio[f] == prioClient || prio[f] == prioQueue {
			low[f] = n
		}
	}
	lowSum := 0
	for _, n := range low {
		lowSum += n
	}
	if len(low) < 10 || lowSum == 0 {
		t.Fatalf("fixture has too few client/queue series to test with: %v", low)
	}

	o := allOn()
	o.MaxSeries = total - lowSum
	c := newTestCollector(fixtureSnapshot(), o)
	mfs := gather(t, c)
	got := seriesByFamily(mfs)
	for f, n := range full {
		_, isLow := low[f]
		switch {
		case f == "rocketmq_exporter_series" || f == "rocketmq_exporter_series_dropped":
		case isLow:
			if got[f] != 0 {
				t.Errorf("%s served %d series, want it dropped", f, got[f])
			}
			if v, ok := value(t, mfs, "rocketmq_exporter_series_dropped", "family="+f); !ok || int(v) != n {
				t.Errorf("series_dropped{family=%q} = %v, %v; want %d", f, v, ok, n)
			}
		default:
			if got[f] != n {
				t.Errorf("%s served %d series, want all %d", f, got[f], n)
			}
		}
	}
	if got["rocketmq_exporter_series_dropped"] != len(low) {
		t.Errorf("series_dropped has %d series, want %d", got["rocketmq_exporter_series_dropped"], len(low))
	}
	if b := budget(got); b != o.MaxSeries {
		t.Errorf("served %d series under a cap of %d, want exactly the cap", b, o.MaxSeries)
	}
	if d := c.LastDropped(); len(d) != len(low) {
		t.Errorf("LastDropped = %s, want %s", dump(d), dump(low))
	}

	// One series fewer: the next tier goes too (compat families per
	// topic@group), and nothing above it.
	o.MaxSeries--
	c = newTestCollector(fixtureSnapshot(), o)
	gather(t, c)
	next := false
	for f := range c.LastDropped() {
		switch p := prio[f]; {
		case p == prioCompatGroupTopic:
			next = true
		case p > prioCompatGroupTopic:
			t.Errorf("%s (priority %s) dropped before the compat group-topic tier was exhausted", f, prioName(p))
		}
	}
	if !next {
		t.Errorf("a cap one below dropped no compat group-topic family: %s", dump(c.LastDropped()))
	}
}

func TestMaxSeriesNeverDropsUpBrokerOrSelf(t *testing.T) {
	full := seriesByFamily(gather(t, newTestCollector(fixtureSnapshot(), allOn())))
	o := allOn()
	o.MaxSeries = 1
	c := newTestCollector(fixtureSnapshot(), o)
	mfs := gather(t, c)
	got := seriesByFamily(mfs)
	prio := prioOf()
	for f, n := range full {
		if f == "rocketmq_exporter_series" || f == "rocketmq_exporter_series_dropped" {
			continue
		}
		if prio[f] == prioNever && got[f] != n {
			t.Errorf("%s: served %d of %d series under a tiny cap; it must never be dropped", f, got[f], n)
		}
		if prio[f] < prioNever && got[f] != 0 {
			t.Errorf("%s served under a cap of 1", f)
		}
	}
	if got["rocketmq_up"] != 4 {
		t.Errorf("rocketmq_up has %d series, want 4", got["rocketmq_up"])
	}
}

type swapSource struct {
	p atomic.Pointer[snapshot.Snapshot]
}

func (s *swapSource) Snapshot() *snapshot.Snapshot { return s.p.Load() }

func TestMaxSeriesLogsOncePerChange(t *testing.T) {
	var buf bytes.Buffer
	src := &swapSource{}
	src.p.Store(fixtureSnapshot())
	c := New(src, Options{Compat: true, ClientMetrics: true, QueueMetrics: true, MaxSeries: 300,
		Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	for range 3 {
		gather(t, c)
	}
	if n := strings.Count(buf.String(), `level=WARN msg="max-series`); n != 1 {
		t.Errorf("%d max-series warnings over 3 identical scrapes, want 1:\n%s", n, buf.String())
	}
	if !strings.Contains(buf.String(), "rocketmq_consumer_client_info") {
		t.Errorf("the warning does not name the dropped families:\n%s", buf.String())
	}
	src.p.Store(&snapshot.Snapshot{})
	gather(t, c)
	gather(t, c)
	if n := strings.Count(buf.String(), "every family is served again"); n != 1 {
		t.Errorf("%d recovery messages, want 1:\n%s", n, buf.String())
	}
}
