package collector

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rocketmq-exporter/rocketmq_exporter/runtimeinfo"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot/snapshottest"
)

// bigSnapshot has 10k topics and 5k groups over two masters (and a slave
// each): every group consumes one topic and its retry topic, with two
// online clients that report their own figures.
func bigSnapshot(tb testing.TB) *snapshot.Snapshot {
	const brokers, topicsPer, groupsPer = 2, 5000, 2500
	now := testNow
	sb := snapshottest.New(tb, snapshot.Snapshot{Started: now.Add(-10 * time.Second), Finished: now.Add(-5 * time.Second),
		Entities: map[string]int{"topic": brokers * topicsPer, "group": brokers * groupsPer}})
	target := sb.Target(snapshot.Target{Namesrvs: []string{"127.0.0.1:9876"}, Up: true, Clusters: []string{"Big"}})
	for bi := range brokers {
		name := fmt.Sprintf("broker-%d", bi)
		m := &snapshot.Broker{Cluster: "Big", Name: name, ID: 0, Addr: fmt.Sprintf("10.0.0.%d:10911", bi+1),
			Up: true, LastSuccess: now, Version: "V5_3_3", VersionCode: 479,
			BootTime: now.Add(-time.Hour), Runtime: runtimeinfo.Parse(masterTable())}
		for ti := range topicsPer {
			var name string
			if ti < groupsPer {
				name = fmt.Sprintf("%%RETRY%%group-%05d", ti)
			} else {
				name = fmt.Sprintf("topic-%05d", ti-groupsPer)
			}
			m.Topics = append(m.Topics, snapshot.Topic{Name: name, ReadQueues: 4, WriteQueues: 4,
				HasOffsets: true, MaxOffset: int64(ti) * 100, MinOffset: int64(ti), LastPut: now.UnixMilli(),
				Queues: []snapshot.QueueOffsets{{QueueID: 0, MaxOffset: 25}, {QueueID: 1, MaxOffset: 25}, {QueueID: 2, MaxOffset: 25}, {QueueID: 3, MaxOffset: 25}},
				Put:    &snapshot.Window{TPS: 1, BytesPerSec: 100, Sum: 60}})
		}
		for gi := range groupsPer {
			g := fmt.Sprintf("group-%05d", gi)
			topic := fmt.Sprintf("topic-%05d", gi)
			run := map[string]snapshot.ClientRunning{topic: {PullRT: 1, PullTPS: 2, ConsumeRT: 3, ConsumeOKTPS: 4}}
			m.Groups = append(m.Groups, snapshot.Group{Name: g, HasConfig: true, Online: true, MessageModel: "CLUSTERING",
				ConsumeType: "CONSUME_PASSIVELY", ConsumeTPS: 4,
				Clients: []snapshot.Client{
					{ID: "10.1.0.1@" + g, Addr: "10.1.0.1:1000", Language: "JAVA", Version: 479, Running: run},
					{ID: "10.1.0.2@" + g, Addr: "10.1.0.2:1000", Language: "JAVA", Version: 479, Running: run},
				},
				Topics: []snapshot.GroupTopic{
					{Topic: "%RETRY%" + g, HasLagSeconds: true, Get: &snapshot.Window{}},
					{Topic: topic, BrokerOffset: 100, ConsumerOffset: 90, Lag: 10, LagSeconds: 2, HasLagSeconds: true,
						LastConsume: now.UnixMilli(), Get: &snapshot.Window{TPS: 4, BytesPerSec: 400}, SendBack: &snapshot.Window{}},
				}})
		}
		sb.Broker(target, m)
		sb.Broker(target, &snapshot.Broker{Cluster: "Big", Name: name, ID: 1, Addr: fmt.Sprintf("10.0.1.%d:10911", bi+1),
			Up: true, Runtime: runtimeinfo.Parse(slaveTable())})
	}
	return sb.Snapshot()
}

func benchCollect(b *testing.B, o Options) {
	c := New(fixedSource{bigSnapshot(b)}, o)
	series := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ch := make(chan prometheus.Metric, 4096)
		done := make(chan int)
		go func() {
			n := 0
			for range ch {
				n++
			}
			done <- n
		}()
		c.Collect(ch)
		close(ch)
		series = <-done
	}
	b.ReportMetric(float64(series), "series/op")
}

// BenchmarkCollect: 10k topics, 5k groups, 10k clients, the defaults of
// cmd/exporter (compat and client families on, per-queue off).
func BenchmarkCollect(b *testing.B) {
	b.Run("default", func(b *testing.B) { benchCollect(b, Options{Compat: true, ClientMetrics: true}) })
	b.Run("own-only", func(b *testing.B) { benchCollect(b, Options{}) })
	b.Run("max-series", func(b *testing.B) {
		benchCollect(b, Options{Compat: true, ClientMetrics: true, MaxSeries: 100000})
	})
}
