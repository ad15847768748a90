package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
)

// TestLMQ runs an MQTT-like workload over light message queues on a real
// broker: a producer dispatches every message to per-client LMQs, a
// consumer pulls each LMQ (queue 0, by name, as rocketmq-mqtt does) and
// commits, and client ids churn every round. The exporter must serve a
// bounded number of series, count the LMQs it sees, and, with
// enableLmqStats=true, report the per-LMQ stat items the broker keeps.
func TestLMQ(t *testing.T) {
	needBroker(t)
	if cluster.External || strings.HasPrefix(cluster.Version, "4.") {
		t.Skip("needs brokers started with LMQ enabled, 5.x (enableLmqStats is 5.3.3+)")
	}
	for _, stats := range []bool{false, true} {
		t.Run(fmt.Sprintf("enableLmqStats=%v", stats), func(t *testing.T) {
			ctx := ctxT(t, 5*time.Minute)
			c, err := realbroker.Start(ctx, realbroker.Options{BrokerName: "broker-lmq", BrokerConf: []string{
				"enableLmq=true", "enableMultiDispatch=true", fmt.Sprintf("enableLmqStats=%v", stats)}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Stop()
			adm := newAdmin(t)
			parent, group := "mqtt-parent", "GID_mqtt"
			if err := adm.CreateTopic(ctx, c.BrokerAddr, admin.TopicConfig{TopicName: parent, ReadQueueNums: 1}); err != nil {
				t.Fatal(err)
			}
			if err := adm.WaitRoute(ctx, c.NamesrvAddr, parent); err != nil {
				t.Fatal(err)
			}
			prod, err := workload.NewProducer(c.NamesrvAddr, "PID_mqtt")
			if err != nil {
				t.Fatal(err)
			}
			defer prod.Close()
			a, _ := newApp(t, nil, c.NamesrvAddr)
			const rounds, perRound = 5, 6
			var series []int
			var families []map[string]int
			for r := 0; r < rounds; r++ {
				var lmqs []string
				for i := 0; i < perRound; i++ {
					lmqs = append(lmqs, fmt.Sprintf("%%LMQ%%%s%%client-%d-%d", parent, r, i))
				}
				if err := prod.ProduceMultiDispatch(ctx, parent, lmqs, 2); err != nil {
					t.Fatal(err)
				}
				for _, q := range lmqs {
					var res *brokeradmin.PullResult
					deadline := time.Now().Add(20 * time.Second)
					for { // dispatch to LMQs is asynchronous
						res, err = adm.Pull(ctx, c.BrokerAddr, brokeradmin.PullRequest{Group: group, Topic: q})
						if err != nil {
							t.Fatalf("pull %s: %v", q, err)
						}
						if (res.Found && res.MaxOffset >= 2) || time.Now().After(deadline) {
							break
						}
						time.Sleep(300 * time.Millisecond)
					}
					if !res.Found || res.MaxOffset < 2 {
						t.Fatalf("pull %s: %+v, want both messages dispatched", q, res)
					}
					if _, err := adm.Pull(ctx, c.BrokerAddr, brokeradmin.PullRequest{Group: group, Topic: q, Offset: res.MaxOffset,
						Commit: true, CommitOffset: res.MaxOffset}); err != nil {
						t.Fatalf("commit %s: %v", q, err)
					}
				}
				a.Cycle(ctx)
				m, _, err := Scrape(a.Handler)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				perFamily := map[string]int{}
				for name, mf := range m {
					if strings.HasPrefix(name, "rocketmq_exporter_") || strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
						continue
					}
					n += len(mf.Metric)
					perFamily[name] = len(mf.Metric)
					for _, s := range mf.Metric {
						for _, l := range s.Label {
							if strings.HasPrefix(l.GetValue(), "%LMQ%"+parent+"%") {
								t.Fatalf("round %d: %s serves a per-LMQ series %s=%q", r, name, l.GetName(), l.GetValue())
							}
						}
					}
				}
				series = append(series, n)
				families = append(families, perFamily)
				if v, _ := m.Value("rocketmq_broker_lmq_queues", map[string]string{"parent": parent}); v != float64((r+1)*perRound) {
					t.Errorf("round %d: rocketmq_broker_lmq_queues{parent=%s} = %v, want %d", r, parent, v, (r+1)*perRound)
				}
				if v, _ := m.Value("rocketmq_consumer_group_consumed_messages_total", map[string]string{"group": group, "topic": "%LMQ%" + parent}); v != float64((r+1)*perRound*2) {
					t.Errorf("round %d: folded LMQ progress of %s = %v, want %d", r, group, v, (r+1)*perRound*2)
				}
				items, _ := m.Value("rocketmq_broker_lmq_stat_items", map[string]string{"broker": "broker-lmq"})
				t.Logf("round %d: %d series, lmq stat items %v", r, n, items)
				if stats && items < float64((r+1)*perRound) {
					t.Errorf("round %d: enableLmqStats=true keeps a stat item per LMQ: %v reported, want >= %d", r, items, (r+1)*perRound)
				}
				if !stats && items != 0 {
					t.Errorf("round %d: enableLmqStats=false keeps no per-LMQ item, %v reported", r, items)
				}
			}
			// One series per LMQ would add perRound series a round (2 ×
			// perRound over the last two); folding keeps the count flat once
			// the first rounds have added the rate families (they need two
			// cycles to see movement) and the per-broker stage families of
			// calls first made then (on a loaded machine a cut cycle makes
			// some of them a round later).
			if grew := series[rounds-1] - series[rounds-3]; grew >= perRound {
				t.Errorf("series grew by %d with %d more LMQs: %v; by family: %v", grew, 2*perRound, series, growth(families[rounds-3], families[rounds-1]))
			}
		})
	}
}

// growth lists the families whose series count changed from a to b.
func growth(a, b map[string]int) map[string]int {
	out := map[string]int{}
	for name, n := range b {
		if n != a[name] {
			out[name] = n - a[name]
		}
	}
	for name, n := range a {
		if _, ok := b[name]; !ok {
			out[name] = -n
		}
	}
	return out
}
