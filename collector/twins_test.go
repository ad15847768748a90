package collector

import (
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// oneTarget is the fixture reduced to its first (answering) target.
func oneTarget() *snapshot.Snapshot {
	s := fixtureSnapshot()
	s.Targets = s.Targets[:1]
	return s
}

// twinTargets is the fixture twice, as two targets whose clusters, brokers,
// topics and groups have the same names.
func twinTargets() *snapshot.Snapshot {
	s, twin := oneTarget(), oneTarget()
	for _, b := range twin.Brokers {
		b.Target = 1
	}
	s.Targets = append(s.Targets, twin.Targets[0])
	s.Brokers = append(s.Brokers, twin.Brokers...)
	return s
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
	one := gather(t, newTestCollector(oneTarget(), allOn()))
	mfs := gather(t, newTestCollector(twinTargets(), twinOptions()))
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

// TestMaxSeriesCountsEveryTarget: --max-series caps the whole scrape, not
// each target: a cap that each target's half would fit under still drops.
func TestMaxSeriesCountsEveryTarget(t *testing.T) {
	full := seriesByFamily(gather(t, newTestCollector(twinTargets(), twinOptions())))
	prio := prioOf()
	low := 0
	for f, n := range full {
		if prio[f] == prioClient || prio[f] == prioQueue {
			low += n
		}
	}
	o := twinOptions()
	o.MaxSeries = budget(full) - low
	got := seriesByFamily(gather(t, newTestCollector(twinTargets(), o)))
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
