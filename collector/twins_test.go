package collector

import (
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot/snapshottest"
)

// oneTarget is the fixture reduced to its first (answering) target:
// broker-a and its slave.
func oneTarget(t testing.TB) *snapshot.Snapshot {
	f := newFixture()
	b := snapshottest.New(t, f.head)
	east := b.Target(f.targets[0])
	b.Broker(east, f.brokerA)
	b.Broker(east, f.slaveA)
	return b.Snapshot()
}

// twinTargets is oneTarget twice, as two targets whose clusters, brokers,
// topics and groups have the same names. Only the addresses differ, as
// they do between two data centres: a poller that is told of one broker
// twice collects it once.
func twinTargets(t testing.TB) *snapshot.Snapshot {
	east, west := newFixture(), newFixture()
	b := snapshottest.New(t, east.head)
	e, w := b.Target(east.targets[0]), b.Target(elsewhere(west.targets[0]))
	b.Broker(e, east.brokerA)
	b.Broker(e, east.slaveA)
	for _, br := range []*snapshot.Broker{west.brokerA, west.slaveA} {
		br.Addr = "192.168." + strings.TrimPrefix(br.Addr, "10.0.")
		b.Broker(w, br)
	}
	return b.Snapshot()
}

// elsewhere is the target at other namesrv addresses.
func elsewhere(tg snapshot.Target) snapshot.Target {
	move := func(a string) string { return "192.168." + strings.TrimPrefix(a, "10.0.") }
	up := map[string]bool{}
	for a, ok := range tg.NamesrvUp {
		up[move(a)] = ok
	}
	tg.Namesrvs = append([]string(nil), tg.Namesrvs...)
	for i, a := range tg.Namesrvs {
		tg.Namesrvs[i] = move(a)
	}
	tg.Namesrv, tg.NamesrvUp = move(tg.Namesrv), up
	return tg
}

func twinOptions() Options {
	o := allOn()
	o.Targets = []string{"east", "west"}
	return o
}

// TestTwinTargetsServedApart: the same cluster seen through two targets is
// served twice, once per target label, with nothing merged and nothing
// lost; the exporter's own families stay single and unlabelled.
func TestTwinTargetsServedApart(t *testing.T) {
	one := gather(t, newTestCollector(oneTarget(t), allOn()))
	mfs := gather(t, newTestCollector(twinTargets(t), twinOptions()))
	twin := seriesByFamily(mfs)
	about := map[string]bool{} // families about a target's clusters, by their labels
	for _, mf := range one {
		for _, m := range mf.GetMetric() {
			for _, l := range []string{"cluster", "broker", "group", "topic", "namesrv"} {
				if _, ok := labelValue(m, l); ok {
					about[mf.GetName()] = true
				}
			}
		}
		n, want := len(mf.GetMetric()), len(mf.GetMetric())
		if about[mf.GetName()] {
			want *= 2
		}
		if twin[mf.GetName()] != want {
			t.Errorf("%s: %d series with two twin targets, want %d (%d with one)", mf.GetName(), twin[mf.GetName()], want, n)
		}
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			target, labelled := labelValue(m, TargetLabel)
			if labelled != about[mf.GetName()] || (labelled && target != "east" && target != "west") {
				t.Errorf("%s%v: target label %q (%v)", mf.GetName(), m.GetLabel(), target, labelled)
				break
			}
		}
	}
	for _, target := range []string{"east", "west"} {
		if _, ok := value(t, mfs, "rocketmq_up", "target="+target, "cluster=ClusterA", "broker_id=0"); !ok {
			t.Errorf("no single rocketmq_up of ClusterA's master under target %s", target)
		}
	}
}

// TestMaxSeriesCountsEveryTarget: --collect.max-series caps the whole scrape, not
// each target: a cap that each target's half would fit under still drops.
func TestMaxSeriesCountsEveryTarget(t *testing.T) {
	full := seriesByFamily(gather(t, newTestCollector(twinTargets(t), twinOptions())))
	prio := prioOf()
	low := 0
	for f, n := range full {
		if prio[f] == prioClient || prio[f] == prioQueue {
			low += n
		}
	}
	o := twinOptions()
	o.MaxSeries = budget(full) - low
	got := seriesByFamily(gather(t, newTestCollector(twinTargets(t), o)))
	if b := budget(got); b > o.MaxSeries {
		t.Errorf("served %d series under a cap of %d", b, o.MaxSeries)
	}
	if got["rocketmq_exporter_series_dropped"] == 0 {
		t.Errorf("nothing dropped with %d series over a cap of %d", budget(full), o.MaxSeries)
	}
}

func labelValue(m *dto.Metric, name string) (string, bool) {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue(), true
		}
	}
	return "", false
}
