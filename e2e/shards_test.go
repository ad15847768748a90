package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
	"github.com/rocketmq-exporter/rocketmq_exporter/scale"
)

// TestShardsUnionOnARealBroker runs one unsharded exporter and three
// shards of one against the real broker, which by now also holds the
// topics, groups, retry and DLQ topics the other tests left. The shards
// read the broker's own topic, group and consume-stats answers through
// their sieves: the union of their /metrics must be the unsharded one's
// series for series, none served twice, and this test's own topics and
// groups (at rest while the exporters look) must carry the same values.
func TestShardsUnionOnARealBroker(t *testing.T) {
	needBroker(t)
	ctx := ctxT(t, 5*time.Minute)
	c, ns := cluster, cluster.NamesrvAddr
	adm := newAdmin(t)
	prefix := unique("shard")
	var topics, groups []string
	for i := range 6 {
		topics = append(topics, fmt.Sprintf("%s-t%d", prefix, i))
		groups = append(groups, fmt.Sprintf("GID_%s-g%d", prefix, i))
	}
	for i := range topics {
		if err := adm.CreateTopic(ctx, c.BrokerAddr, admin.TopicConfig{TopicName: topics[i], ReadQueueNums: 2}); err != nil {
			t.Fatal(err)
		}
		if err := adm.CreateSubscriptionGroup(ctx, c.BrokerAddr, brokeradmin.NewGroupConfig(groups[i])); err != nil {
			t.Fatal(err)
		}
	}
	edgeUntil(t, ctx, 30*time.Second, "routes at the namesrv", func() error {
		for _, tp := range topics {
			if _, err := adm.TopicRoute(ctx, ns, tp); err != nil {
				return err
			}
		}
		return nil
	})
	var work []func() error
	for i := range topics {
		work = append(work, func() error { return workload.Produce(ctx, ns, topics[i], 4+i) })
	}
	if err := edgeConcurrently(work...); err != nil {
		t.Fatal(err)
	}
	work = work[:0]
	for i := range topics[:4] { // two topics stay unconsumed, their groups idle
		work = append(work, func() error { return workload.ConsumeAll(ctx, ns, groups[i], topics[i], int64(4+i)) })
	}
	if err := edgeConcurrently(work...); err != nil {
		t.Fatal(err)
	}

	all := func(s *app.Settings) {
		s.Compat, s.MessageRates, s.QueueMetrics, s.ClientMetrics, s.RunningInfo = true, true, true, true, true
	}
	whole, _ := newApp(t, all, ns)
	const n = 3
	shards := make([]*app.App, n)
	for i := range shards {
		shards[i], _ = newApp(t, func(s *app.Settings) { all(s); s.ShardCount, s.ShardIndex = n, i }, ns)
	}
	for range 2 { // the second cycle has every first sight answered
		whole.Cycle(context.Background())
		for _, a := range shards {
			a.Cycle(context.Background())
		}
	}
	want := realSeries(t, whole)
	union, owner := map[string]string{}, map[string]int{}
	for i, a := range shards {
		for id, v := range realSeries(t, a) {
			if j, dup := owner[id]; dup {
				t.Errorf("%s served by shards %d and %d", id, j, i)
			}
			owner[id], union[id] = i, v
		}
	}
	var missing, extra, differ []string
	mine := 0
	for id, v := range want {
		u, ok := union[id]
		switch {
		case !ok:
			missing = append(missing, id)
		case strings.Contains(id, prefix):
			mine++
			if u != v && !scale.ClockBound(id) {
				differ = append(differ, fmt.Sprintf("%s: %s unsharded, %s in the shards", id, v, u))
			}
		}
	}
	for id := range union {
		if _, ok := want[id]; !ok {
			extra = append(extra, id)
		}
	}
	for what, l := range map[string][]string{"missing from the shards": missing, "only in the shards": extra, "with another value": differ} {
		sort.Strings(l)
		for _, id := range l {
			t.Errorf("%s: %s", what, id)
		}
	}
	if mine < 60 {
		t.Errorf("only %d series about this test's topics and groups: the exporters did not see them", mine)
	}
}

// realSeries is a's RocketMQ series (not the exporter's own families nor
// those every replica serves about its own calls), series line to value.
func realSeries(t *testing.T, a *app.App) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := scale.EachSeries(a, func(series, value string) {
		if !scale.Replicated(series) {
			out[series] = value
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
