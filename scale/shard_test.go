package scale

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// TestShardsUnionIsTheWhole runs one unsharded exporter and four shards
// of one against the same simulated cluster, cycle by cycle with the
// cluster standing still between them, through traffic and a churn that
// deletes topics and groups (leaks on a broker that keeps stat items).
// The union of the shards' /metrics must be the unsharded one's, series
// for series (the exporter's own families, and values that depend on the
// clock, aside), with no series served by two shards; the simulator's
// count of what it received judges the calls: the per-entity requests of
// the four add up to the unsharded exporter's, and each shard makes every
// broker-wide listing itself. It runs with every family set on, and
// again under topic and group filters (a filtered group's retry topics go
// with it, as they go with its shard).
func TestShardsUnionIsTheWhole(t *testing.T) {
	t.Run("every family", func(t *testing.T) { shardUnion(t, nil) })
	t.Run("filters", func(t *testing.T) {
		shardUnion(t, func(s *app.Settings) {
			s.TopicExclude = "sim-topic-00000[0-4][0-9]" // topics 0-49
			s.GroupExclude = "sim-group-00000[5-9][0-9]" // groups 50-99, their retry and DLQ topics too
		})
	})
}

func shardUnion(t *testing.T, filters func(*app.Settings)) {
	keep := false
	c := exportertest.Sim(t, simbroker.Options{Brokers: 3, Slaves: true, Topics: 240, Groups: 120, Clients: 1,
		OnlineEvery: 3, ActiveEvery: 2, AutoDeleteUnusedStats: &keep})
	sim := Local(c)
	const n = 4
	// Every family set on, the Java families and per-queue ones included.
	all := func(s *app.Settings) {
		s.Compat, s.MessageRates, s.QueueMetrics, s.ClientMetrics, s.RunningInfo = true, true, true, true, true
		if filters != nil {
			filters(s)
		}
	}
	whole := newExporter(t, sim.Namesrv(), all)
	shards := make([]*app.App, n)
	for i := range shards {
		shards[i] = newExporter(t, sim.Namesrv(), func(s *app.Settings) { all(s); s.ShardCount, s.ShardIndex = n, i })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for cycle := 1; cycle <= 5; cycle++ {
		switch cycle {
		case 2, 4:
			sim.Tick()
		case 3:
			if err := sim.Churn(0.1); err != nil {
				t.Fatal(err)
			}
		}
		wc, err := RunCycle(ctx, whole, sim)
		if err != nil {
			t.Fatal(err)
		}
		sum := map[string]int{}
		for i, a := range shards {
			sc, err := RunCycle(ctx, a, sim)
			if err != nil {
				t.Fatal(err)
			}
			for req, k := range sc.RPCs {
				if PerEntity[req] {
					sum[req] += k
				} else if k != wc.RPCs[req] {
					t.Errorf("cycle %d, shard %d: %d %s received, the unsharded exporter's %d", cycle, i, k, req, wc.RPCs[req])
				}
			}
		}
		for req := range PerEntity {
			if sum[req] != wc.RPCs[req] {
				t.Errorf("cycle %d: the shards' %s add up to %d received, the unsharded exporter's to %d", cycle, req, sum[req], wc.RPCs[req])
			}
		}
		served := scrapeSeries(t, whole)
		// Before the churn renames some: topic 10 and group 60 filtered out, topic 60 kept.
		if filters != nil && cycle < 3 && (!servesLabel(served, `topic="sim-topic-0000060"`) ||
			servesLabel(served, `topic="sim-topic-0000010"`) || servesLabel(served, `group="sim-group-0000060"`)) {
			t.Fatalf("cycle %d: the filters did not apply as the test means them", cycle)
		}
		compareUnion(t, cycle, served, shardSeries(t, shards))
	}
}

// shardSeries is every shard's series, failing on one served twice.
func shardSeries(t *testing.T, shards []*app.App) map[string]string {
	t.Helper()
	union := map[string]string{}
	owner := map[string]int{}
	for i, a := range shards {
		for id, v := range scrapeSeries(t, a) {
			if j, dup := owner[id]; dup {
				t.Errorf("%s served by shards %d and %d", id, j, i)
			}
			owner[id], union[id] = i, v
		}
	}
	return union
}

func compareUnion(t *testing.T, cycle int, whole, union map[string]string) {
	t.Helper()
	var missing, extra, differ []string
	for id, v := range whole {
		u, ok := union[id]
		switch {
		case !ok:
			missing = append(missing, id)
		case u != v && !ClockBound(id):
			differ = append(differ, fmt.Sprintf("%s: %s unsharded, %s in the shards", id, v, u))
		}
	}
	for id := range union {
		if _, ok := whole[id]; !ok {
			extra = append(extra, id)
		}
	}
	for what, l := range map[string][]string{"missing from the shards": missing, "only in the shards": extra, "with another value": differ} {
		sort.Strings(l)
		for i, id := range l {
			if i == 10 {
				t.Errorf("cycle %d: … %d more %s", cycle, len(l)-10, what)
				break
			}
			t.Errorf("cycle %d: %s %s", cycle, what, id)
		}
	}
	if len(whole) < 1000 {
		t.Errorf("cycle %d: only %d series unsharded: the cluster is too small to show anything", cycle, len(whole))
	}
}

// scrapeSeries serves /metrics from a's handler and returns its samples,
// series line to value: RocketMQ's families only, not the exporter's own
// nor the Go and process collectors' (each replica counts itself), nor
// those about its own calls to each broker (Replicated), of which it must
// serve some for each of the 6 broker processes.
func scrapeSeries(t *testing.T, a *app.App) map[string]string {
	t.Helper()
	out := map[string]string{}
	replicated := 0
	err := EachSeries(a, func(series, value string) {
		if Replicated(series) {
			replicated++
			return
		}
		out[series] = value
	})
	if err != nil {
		t.Fatal(err)
	}
	if replicated < 6*3 { // duration, cut and cuts at least, for each process
		t.Errorf("%d series of the per-replica families, not every broker process's", replicated)
	}
	return out
}

// servesLabel tells whether any series carries label (name="value").
func servesLabel(series map[string]string, label string) bool {
	for id := range series {
		if strings.Contains(id, label) {
			return true
		}
	}
	return false
}
