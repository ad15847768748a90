package scale

import (
	"context"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// TestShardsUnionWithTwinClusters: two clusters with the same names (the
// simulator's defaults, as two RocketMQ installs keep DefaultCluster and
// broker-a), one target each. Sharding goes by names, so the twins' topic
// of one name, and their brokers of one name, go to the same shard; the
// union of four shards must still be the unsharded exporter's, series for
// series, with no series served twice, through traffic and churn on both.
func TestShardsUnionWithTwinClusters(t *testing.T) {
	keep := false
	opts := simbroker.Options{Brokers: 2, Topics: 160, Groups: 80, Clients: 1, OnlineEvery: 3, ActiveEvery: 2,
		AutoDeleteUnusedStats: &keep}
	here := exportertest.Sim(t, opts)
	opts.Seed = 7 // other traffic, same names
	there := exportertest.Sim(t, opts)
	if here.Brokers[0].Name != there.Brokers[0].Name {
		t.Fatalf("the twins are named %q and %q: the test proves nothing", here.Brokers[0].Name, there.Brokers[0].Name)
	}
	twins := func(s *app.Settings) {
		s.Namesrvs = []string{"here=" + here.Namesrv.Addr, "there=" + there.Namesrv.Addr}
		s.Compat, s.MessageRates, s.ClientMetrics = true, true, true
	}
	whole := newExporter(t, here.Namesrv.Addr, twins)
	const n = 4
	shards := make([]*app.App, n)
	for i := range shards {
		shards[i] = newExporter(t, here.Namesrv.Addr, func(s *app.Settings) { twins(s); s.ShardCount, s.ShardIndex = n, i })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for cycle := 1; cycle <= 4; cycle++ {
		switch cycle {
		case 2:
			here.Tick()
			there.Tick()
		case 3:
			here.Churn(0.1)
			there.Churn(0.1)
		}
		whole.Cycle(ctx)
		for _, a := range shards {
			a.Cycle(ctx)
		}
		served := scrapeSeries(t, whole)
		if !servesLabel(served, `target="here"`) || !servesLabel(served, `target="there"`) {
			t.Fatalf("cycle %d: the unsharded exporter does not serve both twins", cycle)
		}
		compareUnion(t, cycle, served, shardSeries(t, shards))
	}
}
