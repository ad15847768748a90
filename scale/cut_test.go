package scale

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// cutCycleTimeout is short enough that a broker answering every call
// after its listings a second late cannot be finished within it, and long
// enough for a healthy cycle over the small cluster below.
const cutCycleTimeout = 3 * time.Second

// TestCutCycleKeepsLastValues cuts a cycle with its deadline after the
// broker's listings answered: the broker stays up, every topic, group,
// pair and client it holds (the simulator says which) keeps the values of
// the last cycle, nothing served before is missing, and the cut shows in
// the snapshot and in /metrics. The next full cycle is whole again.
func TestCutCycleKeepsLastValues(t *testing.T) {
	c := exportertest.Sim(t, simbroker.Options{Brokers: 1, Topics: 200, Groups: 100, OnlineEvery: 2, Latency: time.Millisecond})
	sim := Local(c)
	a := newExporter(t, sim.Namesrv(), func(s *app.Settings) {
		s.Timeout, s.CycleTimeout, s.RunningInfo = 2*time.Second, cutCycleTimeout, true
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cycle := func() (*snapshot.Broker, simbroker.BrokerTruth) {
		t.Helper()
		sim.Tick()
		s := a.Cycle(ctx)
		truth, _ := sim.Truth(ActiveWindow)
		for _, b := range s.Brokers {
			if b.Name == truth[0].Name && b.IsMaster() {
				return b, truth[0]
			}
		}
		t.Fatalf("cycle %d: broker %s missing", s.Seq, truth[0].Name)
		return nil, simbroker.BrokerTruth{}
	}

	cycle()
	full, truth := cycle()
	holds(t, "full cycle", full, truth)
	if full.Cut || len(full.Carried) > 0 {
		t.Fatalf("full cycle: cut %v, carried %v", full.Cut, full.Carried)
	}
	before := servedEntitySeries(t, a)

	// From the 6th call on (runtime info and the four listings answer in
	// time) every answer takes a second: the per-topic and per-group calls
	// cannot finish by the deadline.
	c.Brokers[0].Master.SetFault(simbroker.Fault{Latency: time.Second, AfterCalls: 5})
	cut, truth := cycle()
	if !cut.Up || cut.Stale {
		t.Fatalf("cut cycle: up %v stale %v err %q; the listings answered, so the broker is up", cut.Up, cut.Stale, cut.Err)
	}
	holds(t, "cut cycle", cut, truth)
	keeps(t, full, cut)
	if !cut.Cut || cut.Cuts != 1 {
		t.Errorf("cut cycle: cut %v, cuts %d; want true, 1", cut.Cut, cut.Cuts)
	}
	for _, kind := range []string{snapshot.CarriedTopicOffsets, snapshot.CarriedGroupOnline, snapshot.CarriedClientRunningInfo} {
		if cut.Carried[kind] == 0 {
			t.Errorf("cut cycle: no %s carried (%v)", kind, cut.Carried)
		}
	}
	for family, want := range map[string]float64{"rocketmq_broker_collection_cut": 1, "rocketmq_broker_collections_cut_total": 1} {
		if got := brokerValue(t, a, family, cut.Name); got != want {
			t.Errorf("cut cycle: %s %v, want %v", family, got, want)
		}
	}
	after := servedEntitySeries(t, a)
	for _, s := range before {
		if _, ok := slices.BinarySearch(after, s); !ok {
			t.Errorf("cut cycle: %s was served after the full cycle and is gone", s)
		}
	}

	c.Brokers[0].Master.ClearFault()
	again, truth := cycle()
	holds(t, "full cycle after the cut", again, truth)
	if again.Cut || again.Cuts != 1 || len(again.Carried) > 0 {
		t.Errorf("full cycle after the cut: cut %v, cuts %d, carried %v", again.Cut, again.Cuts, again.Carried)
	}
	if got := brokerValue(t, a, "rocketmq_broker_collection_cut", again.Name); got != 0 {
		t.Errorf("full cycle after the cut: rocketmq_broker_collection_cut %v", got)
	}
}

// brokerValue is the value a scrape of a serves for family and broker.
func brokerValue(t *testing.T, a *app.App, family, broker string) float64 {
	t.Helper()
	mfs, err := AllFamilies(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != family {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "broker" && l.GetValue() == broker {
					if m.Counter != nil {
						return m.Counter.GetValue()
					}
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Errorf("%s: no series for %s", family, broker)
	return -1
}

// holds checks b against what the simulated broker holds: every topic with
// offsets, every group, pair and lag, and the online groups and clients.
func holds(t *testing.T, what string, b *snapshot.Broker, truth simbroker.BrokerTruth) {
	t.Helper()
	complete(t, &snapshot.Snapshot{Brokers: []*snapshot.Broker{b}}, truth)
	online, clients := 0, 0
	for _, g := range b.Groups {
		if g.Online {
			online++
		}
		clients += len(g.Clients)
	}
	if online != truth.OnlineGroups || clients != truth.Clients {
		t.Errorf("%s: %d groups online with %d clients; the broker has %d online with %d clients",
			what, online, clients, truth.OnlineGroups, truth.Clients)
	}
}

// keeps checks that every value the full cycle read is still there after
// the cut one: put windows, lag ages, clients' own figures.
func keeps(t *testing.T, full, cut *snapshot.Broker) {
	t.Helper()
	topics := map[string]*snapshot.Topic{}
	for i := range cut.Topics {
		topics[cut.Topics[i].Name] = &cut.Topics[i]
	}
	for _, ft := range full.Topics {
		ct := topics[ft.Name]
		if ct == nil {
			continue // complete() reports missing topics
		}
		if ft.Put != nil && ct.Put == nil {
			t.Errorf("topic %s lost its put window", ft.Name)
		}
	}
	groups := map[string]*snapshot.Group{}
	for i := range cut.Groups {
		groups[cut.Groups[i].Name] = &cut.Groups[i]
	}
	for _, fg := range full.Groups {
		cg := groups[fg.Name]
		if cg == nil {
			continue
		}
		for _, fgt := range fg.Topics {
			for _, cgt := range cg.Topics {
				if cgt.Topic == fgt.Topic && fgt.HasLagSeconds && !cgt.HasLagSeconds {
					t.Errorf("%s@%s lost its lag age", fgt.Topic, fg.Name)
				}
			}
		}
		running := map[string]bool{}
		for _, c := range cg.Clients {
			running[c.ID] = len(c.Running) > 0
		}
		for _, c := range fg.Clients {
			if len(c.Running) > 0 && !running[c.ID] {
				t.Errorf("client %s of %s lost its running info", c.ID, fg.Name)
			}
		}
	}
}

// servedEntitySeries lists the series of every family about topics, groups
// or clients that a scrape of a serves now, as name{labels}, sorted.
func servedEntitySeries(t *testing.T, a *app.App) []string {
	t.Helper()
	mfs, err := AllFamilies(a)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if s, ok := entitySeries(mf.GetName(), m); ok {
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

func entitySeries(name string, m *dto.Metric) (string, bool) {
	var b strings.Builder
	entity := false
	b.WriteString(name + "{")
	for _, l := range m.GetLabel() {
		switch l.GetName() {
		case "topic", "group", "client_id", "consumerGroup":
			entity = true
		}
		b.WriteString(l.GetName() + "=" + l.GetValue() + ",")
	}
	b.WriteString("}")
	return b.String(), entity
}
