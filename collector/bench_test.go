package collector

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"runtime"
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
func bigSnapshot(tb testing.TB) *snapshot.Snapshot { return benchSnapshot(tb, 10000) }

// benchSnapshot is bigSnapshot's shape at topics topics (half of them
// the groups' retry topics) and topics/2 groups.
func benchSnapshot(tb testing.TB, topics int) *snapshot.Snapshot {
	const brokers = 2
	topicsPer, groupsPer := topics/brokers, topics/brokers/2
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

// BenchmarkBuild is what the cache costs per snapshot: the whole
// exposition (text, gzipped) of bigSnapshot's shape at 1k and 10k topics,
// with cmd/exporter's defaults. It reports the allocations and allocated
// bytes per series served, and the exposition's bytes per series.
func BenchmarkBuild(b *testing.B) {
	for _, topics := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("topics=%d", topics), func(b *testing.B) {
			s := benchSnapshot(b, topics)
			c := NewCache(Options{Compat: true, ClientMetrics: true})
			c.Build(s) // the first build sizes the buffers the next ones start from, as in a running exporter
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			builds := 0
			for b.Loop() {
				next := *s // a later snapshot with the same content: Build encodes each sequence number once
				next.Seq = s.Seq + uint64(builds) + 1
				c.Build(&next)
				builds++
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			series := 0
			for _, n := range c.LastSeries() {
				series += n
			}
			gz, _ := c.Gzipped()
			text := gunzipLen(b, gz)
			per := float64(builds * series)
			b.ReportMetric(float64(series), "series/op")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/per, "allocs/series")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/per, "B-alloc/series")
			b.ReportMetric(float64(text)/float64(series), "text-B/series")
			b.ReportMetric(float64(len(gz))/float64(series), "gz-B/series")
		})
	}
}

// gunzipLen is the length of gz uncompressed.
func gunzipLen(tb testing.TB, gz []byte) int64 {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		tb.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
