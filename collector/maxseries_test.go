package collector

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/runtimeinfo"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot/snapshottest"
)

// budget is what --collect.max-series counts: every family but the meta ones.
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
	full := seriesByFamily(gather(t, newTestCollector(fixtureSnapshot(t), allOn())))
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
	c := newTestCollector(fixtureSnapshot(t), o)
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
	c = newTestCollector(fixtureSnapshot(t), o)
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
	full := seriesByFamily(gather(t, newTestCollector(fixtureSnapshot(t), allOn())))
	o := allOn()
	o.MaxSeries = 1
	c := newTestCollector(fixtureSnapshot(t), o)
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
	src.p.Store(fixtureSnapshot(t))
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
	src.p.Store(snapshottest.New(t, snapshot.Snapshot{}).Snapshot())
	gather(t, c)
	gather(t, c)
	if n := strings.Count(buf.String(), "every family is served again"); n != 1 {
		t.Errorf("%d recovery messages, want 1:\n%s", n, buf.String())
	}
}

// sizedSnapshot is one master with n topics, each consumed by its own
// group through one online client that reports its own figures.
func sizedSnapshot(t testing.TB, seq uint64, n int) *snapshot.Snapshot {
	now := testNow
	b := snapshottest.New(t, snapshot.Snapshot{Seq: seq, Started: now.Add(-time.Second), Finished: now})
	target := b.Target(snapshot.Target{Namesrvs: []string{"10.0.0.9:9876"}, Up: true, Clusters: []string{"C"}})
	m := &snapshot.Broker{Cluster: "C", Name: "broker-a", Addr: "10.0.0.1:10911", Up: true,
		LastSuccess: now, Version: "V5_3_3", VersionCode: 479, Runtime: runtimeinfo.Parse(masterTable())}
	for i := range n {
		topic, group := fmt.Sprintf("topic-%03d", i), fmt.Sprintf("group-%03d", i)
		m.Topics = append(m.Topics, snapshot.Topic{Name: topic, ReadQueues: 4, WriteQueues: 4, HasOffsets: true, MaxOffset: 100})
		m.Groups = append(m.Groups, snapshot.Group{Name: group, HasConfig: true, Online: true, MessageModel: "CLUSTERING",
			Clients: []snapshot.Client{{ID: "10.1.0.1@" + group, Addr: "10.1.0.1:1000", Language: "JAVA", Version: 479,
				Running: map[string]snapshot.ClientRunning{topic: {PullTPS: 1}}}},
			Topics: []snapshot.GroupTopic{{Topic: topic, BrokerOffset: 100, ConsumerOffset: 90, Lag: 10, Get: &snapshot.Window{}}}})
	}
	b.Broker(target, m)
	return b.Snapshot()
}

// TestMaxSeriesHysteresis: a family dropped at the cap stays out while the
// series count hovers just under the cap, and comes back once everything
// fits under 90 % of it.
func TestMaxSeriesHysteresis(t *testing.T) {
	o := Options{ClientMetrics: true}
	size := func(n int) int { return budget(seriesByFamily(gather(t, newTestCollector(sizedSnapshot(t, 1, n), o)))) }
	big, near, small := size(10), size(9), size(5)
	o.MaxSeries = big - 1
	if limit := restoreRatio * float64(o.MaxSeries); near > o.MaxSeries || float64(near) <= limit || float64(small) > limit {
		t.Fatalf("sizes do not straddle the cap %d and its 90%%: %d, %d, %d", o.MaxSeries, big, near, small)
	}
	src := &swapSource{}
	c := New(src, o)
	c.now = func() time.Time { return testNow }
	scrape := func(seq uint64, n int) map[string]int {
		t.Helper()
		src.p.Store(sizedSnapshot(t, seq, n))
		got := seriesByFamily(gather(t, c))
		if b := budget(got); b > o.MaxSeries {
			t.Errorf("snapshot %d (%d groups): %d series served under a cap of %d", seq, n, b, o.MaxSeries)
		}
		return c.LastDropped()
	}
	first := scrape(1, 10)
	if len(first) == 0 {
		t.Fatal("over the cap and nothing dropped")
	}
	for seq := uint64(2); seq <= 4; seq++ { // under the cap, over 90 % of it: the same families stay out
		got := scrape(seq, 9)
		scrape(seq, 9) // a second scrape of one snapshot decides the same
		if !sameKeys(got, first) {
			t.Errorf("snapshot %d, %d series of a cap of %d: dropped %s; want %s kept out", seq, near, o.MaxSeries, dump(got), dump(first))
		}
	}
	if got := scrape(5, 5); len(got) != 0 {
		t.Errorf("%d series, under 90%% of the cap of %d: %s still dropped", small, o.MaxSeries, dump(got))
	}
	if got := scrape(6, 9); len(got) != 0 {
		t.Errorf("%d series fit under the cap of %d and nothing was dropped before: %s dropped", near, o.MaxSeries, dump(got))
	}
}

func sameKeys(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}
