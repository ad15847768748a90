package collector

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/rocketmq-exporter/rocketmq_exporter/runtimeinfo"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot/snapshottest"
)

// fixedSource serves one snapshot.
type fixedSource struct{ s *snapshot.Snapshot }

func (f fixedSource) Snapshot() *snapshot.Snapshot { return f.s }

// testNow is the scrape time of every test collection.
var testNow = time.Date(2026, 11, 25, 10, 0, 30, 0, time.UTC)

func allOn() Options {
	return Options{Compat: true, QueueMetrics: true, ClientMetrics: true, MessageRates: true}
}

func newTestCollector(s *snapshot.Snapshot, o Options) *Collector {
	c := New(fixedSource{s}, o)
	c.now = func() time.Time { return testNow }
	return c
}

// gather collects c through a pedantic registry.
func gather(t testing.TB, c *Collector) []*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatalf("register: %v", err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	return mfs
}

// render turns gathered families into the text exposition format.
func render(t testing.TB, mfs []*dto.MetricFamily) string {
	t.Helper()
	var buf bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatalf("render %s: %v", mf.GetName(), err)
		}
	}
	return buf.String()
}

// seriesByFamily counts the gathered series per family.
func seriesByFamily(mfs []*dto.MetricFamily) map[string]int {
	out := map[string]int{}
	for _, mf := range mfs {
		out[mf.GetName()] = len(mf.GetMetric())
	}
	return out
}

// value finds one series' value by family and label pairs "k=v".
func value(t testing.TB, mfs []*dto.MetricFamily, name string, pairs ...string) (float64, bool) {
	t.Helper()
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for _, p := range pairs {
				k, v, _ := strings.Cut(p, "=")
				if have[k] != v {
					continue next
				}
			}
			switch {
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Untyped != nil:
				return m.Untyped.GetValue(), true
			}
		}
	}
	return 0, false
}

// A 5.3.3 master's GET_BROKER_RUNTIME_INFO table, keys as listed in
// rocketmq-broker-internals.md §3.2; values shaped like a real broker's.
func masterTable() map[string]string {
	return map[string]string{
		"bootTimestamp":            "1795620363469",
		"runtime":                  "[ 0 days, 1 hours, 2 minutes, 3 seconds ]",
		"putMessageEntireTimeMax":  "58",
		"putMessageTimesTotal":     "1153",
		"putMessageFailedTimes":    "2",
		"putMessageSizeTotal":      "278789",
		"putMessageDistributeTime": "[<=0ms]:40 [0~10ms]:9 [10~50ms]:2 [50~100ms]:0 [100~200ms]:1 [200~500ms]:0 [500ms~1s]:0 [1~2s]:0 [2~3s]:0 [3~4s]:0 [4~5s]:0 [5~10s]:0 [10s~]:0 ",
		"putMessageAverageSize":    "241.7944492627927",
		"dispatchMaxBuffer":        "0",
		"getMessageEntireTimeMax":  "849",
		"putTps":                   "0.9993004896572399 0.7174913127277331 1.021113435851246",
		"getFoundTps":              "0.0 18.711311198649412 8.709956872421806",
		"getMissTps":               "43.47391565060964 45.28700056274621 52.480226677800395",
		"getTotalTps":              "43.47391565060964 63.99831176139562 61.1901835502222",
		"getTransferredTps":        "0.0 18.711311198649412 8.792834379466393",
		"putLatency99":             "0.98",
		"putLatency999":            "12.50",
		"commitLogDiskRatio_/data/rocketmq/store/commitlog": "0.14",
		"commitLogDiskRatio":                       "0.14",
		"consumeQueueDiskRatio":                    "0.14",
		"commitLogMinOffset":                       "0",
		"commitLogMaxOffset":                       "278789",
		"scheduleMessageOffset_1":                  "12,12",
		"scheduleMessageOffset_3":                  "40,45",
		"brokerActive":                             "true",
		"brokerVersionDesc":                        "V5_3_3",
		"brokerVersion":                            "479",
		"msgPutTotalYesterdayMorning":              "0",
		"msgPutTotalTodayMorning":                  "0",
		"msgPutTotalTodayNow":                      "1153",
		"msgGetTotalYesterdayMorning":              "0",
		"msgGetTotalTodayMorning":                  "0",
		"msgGetTotalTodayNow":                      "5863",
		"dispatchBehindBytes":                      "0",
		"pageCacheLockTimeMills":                   "0",
		"earliestMessageTimeStamp":                 "1795620460977",
		"startAcceptSendRequestTimeStamp":          "0",
		"timerReadBehind":                          "1",
		"timerOffsetBehind":                        "3",
		"timerCongestNum":                          "0",
		"timerEnqueueTps":                          "0.5",
		"timerDequeueTps":                          "0.25",
		"remainTransientStoreBufferNumbs":          "2147483647",
		"remainHowManyDataToFlush":                 "1.2 KiB",
		"commitLogDirCapacity":                     "Total : 252.0 GiB, Free : 239.4 GiB.",
		"sendThreadPoolQueueSize":                  "0",
		"sendThreadPoolQueueCapacity":              "10000",
		"pullThreadPoolQueueSize":                  "4",
		"pullThreadPoolQueueCapacity":              "100000",
		"litePullThreadPoolQueueSize":              "0",
		"litePullThreadPoolQueueCapacity":          "100000",
		"queryThreadPoolQueueSize":                 "0",
		"queryThreadPoolQueueCapacity":             "20000",
		"ackThreadPoolQueueSize":                   "0",
		"ackThreadPoolQueueCapacity":               "100000",
		"sendThreadPoolQueueHeadWaitTimeMills":     "0",
		"pullThreadPoolQueueHeadWaitTimeMills":     "3",
		"queryThreadPoolQueueHeadWaitTimeMills":    "0",
		"litePullThreadPoolQueueHeadWaitTimeMills": "0",
		"ackThreadPoolQueueHeadWaitTimeMills":      "0",
		"EndTransactionQueueSize":                  "0",
		"EndTransactionThreadPoolQueueCapacity":    "100000",
	}
}

// The slave of broker-a: same keys, fewer bytes replicated.
func slaveTable() map[string]string {
	t := masterTable()
	t["commitLogMaxOffset"] = "270000"
	t["putTps"] = "0.0 0.0 0.0"
	t["bootTimestamp"] = "1795620370000"
	return t
}

// A 4.9.4 broker right after boot: 4.x key spelling, no ack pool, no timer,
// empty TPS windows, -1 for what it does not know yet.
func brokerBTable() map[string]string {
	return map[string]string{
		"bootTimestamp":                        "1795623000000",
		"putMessageEntireTimeMax":              "3",
		"putMessageTimesTotal":                 "1",
		"putMessageFailedTimes":                "0",
		"putMessageSizeTotal":                  "0",
		"putMessageDistributeTime":             "null", // what a real broker sends before its first minute
		"putTps":                               "12.5  ",
		"getFoundTps":                          "0.0  ",
		"getMissTps":                           "2.0  ",
		"getTotalTps":                          "2.0  ",
		"getTransferedTps":                     "0.0  ",
		"commitLogDiskRatio":                   "0.5",
		"consumeQueueDiskRatio":                "0.5",
		"commitLogMinOffset":                   "-1",
		"commitLogMaxOffset":                   "1024",
		"brokerVersionDesc":                    "V4_9_4",
		"brokerVersion":                        "398",
		"msgPutTotalTodayNow":                  "10",
		"msgGetTotalTodayNow":                  "4",
		"dispatchBehindBytes":                  "0",
		"pageCacheLockTimeMills":               "0",
		"earliestMessageTimeStamp":             "-1",
		"remainHowManyDataToFlush":             "0 B",
		"commitLogDirCapacity":                 "Total : 100.0 GiB, Free : 50.0 GiB.",
		"sendThreadPoolQueueSize":              "0",
		"sendThreadPoolQueueCapacity":          "10000",
		"pullThreadPoolQueueSize":              "0",
		"pullThreadPoolQueueCapacity":          "100000",
		"queryThreadPoolQueueSize":             "0",
		"queryThreadPoolQueueCapacity":         "20000",
		"sendThreadPoolQueueHeadWaitTimeMills": "0",
		"pullThreadPoolQueueHeadWaitTimeMills": "0",
		"EndTransactionQueueSize":              "0",
	}
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// fixtureSnapshot is a realistic snapshot: two namesrv targets with one
// cluster each plus one unreachable target; broker-a as master and slave
// (5.3.3), broker-b as a stale 4.9.4 master; topics of every kind, groups
// online, offline and broadcasting, clients, producers, leaks and LMQs.
func fixtureSnapshot(t testing.TB) *snapshot.Snapshot { return newFixture().build(t) }

// fixture is fixtureSnapshot's parts, for a test to change before
// building: head holds the cycle, targets the three targets in order.
type fixture struct {
	head                     snapshot.Snapshot
	targets                  [3]snapshot.Target
	brokerA, slaveA, brokerB *snapshot.Broker
}

// build assembles the fixture as the poller would have published it:
// broker-a and its slave listed by the first target, broker-b by the
// second, the third unreachable.
func (f *fixture) build(t testing.TB) *snapshot.Snapshot {
	b := snapshottest.New(t, f.head)
	a, bt := b.Target(f.targets[0]), b.Target(f.targets[1])
	b.Target(f.targets[2])
	b.Broker(a, f.brokerA)
	b.Broker(a, f.slaveA)
	b.Broker(bt, f.brokerB)
	return b.Snapshot()
}

func newFixture() *fixture {
	started := testNow.Add(-25 * time.Second)
	finished := testNow.Add(-20 * time.Second)
	boot := time.UnixMilli(1795620363469)

	payments := snapshot.Group{
		Name: "payments-consumer", HasConfig: true, ConsumeEnable: true, Broadcast: true, RetryMaxTimes: 16,
		Online: true, MessageModel: "CLUSTERING", ConsumeType: "CONSUME_PASSIVELY", ConsumeTPS: 4.5,
		Clients: []snapshot.Client{
			{ID: "10.2.0.7@pay-1", Addr: "10.2.0.7:51234", Language: "JAVA", Version: 479, Running: map[string]snapshot.ClientRunning{
				"payments":                 {PullRT: 12.5, PullTPS: 3.25, ConsumeRT: 40, ConsumeOKTPS: 3, ConsumeFailedTPS: 0.25, ConsumeFailedMsgs: 7},
				"%RETRY%payments-consumer": {PullRT: 1, PullTPS: 0.5, ConsumeRT: 2, ConsumeOKTPS: 0.5},
			}},
			{ID: "10.2.0.8@pay-2", Addr: "10.2.0.8:40100", Language: "GO", Version: 317, Running: map[string]snapshot.ClientRunning{
				"payments": {PullRT: 20, PullTPS: 1.5, ConsumeRT: 35, ConsumeOKTPS: 1.5},
			}},
		},
		Topics: []snapshot.GroupTopic{
			{Topic: "%RETRY%payments-consumer", BrokerOffset: 12, ConsumerOffset: 9, Lag: 3, LagSeconds: 95.5, HasLagSeconds: true,
				LastConsume: ms(testNow.Add(-2 * time.Minute)),
				Queues:      []snapshot.QueueProgress{{QueueID: 0, BrokerOffset: 12, ConsumerOffset: 9}}},
			{Topic: "payments", BrokerOffset: 1500, ConsumerOffset: 1480, Lag: 20, LagSeconds: 1.25, HasLagSeconds: true,
				LastConsume: ms(testNow.Add(-3 * time.Second)),
				Queues: []snapshot.QueueProgress{
					{QueueID: 0, BrokerOffset: 750, ConsumerOffset: 740}, {QueueID: 1, BrokerOffset: 750, ConsumerOffset: 740},
				},
				Get: &snapshot.Window{TPS: 4.5, BytesPerSec: 1152, Sum: 270}, SendBack: &snapshot.Window{Sum: 3}},
		},
	}
	audit := snapshot.Group{
		Name: "audit_group_7", HasConfig: true, ConsumeEnable: true, Broadcast: true, RetryMaxTimes: 16,
		Topics: []snapshot.GroupTopic{
			{Topic: "order-events_v2-01", BrokerOffset: 300, ConsumerOffset: 100, Lag: 200,
				LastConsume: ms(testNow.Add(-time.Hour)),
				Queues: []snapshot.QueueProgress{
					{QueueID: 0, BrokerOffset: 150, ConsumerOffset: 50}, {QueueID: 1, BrokerOffset: 150, ConsumerOffset: 50},
				},
				Get: &snapshot.Window{}},
		},
	}
	// Broadcast mirrors consumeBroadcastEnable, true by default on every
	// group: it does not make a group a broadcasting one.
	broadcast := snapshot.Group{
		Name: "cache-invalidator", HasConfig: true, ConsumeEnable: true, Broadcast: true,
		Online: true, MessageModel: "BROADCASTING", ConsumeType: "CONSUME_PASSIVELY",
		Clients: []snapshot.Client{{ID: "10.2.0.9@cache", Addr: "10.2.0.9:33333", Language: "JAVA", Version: 479}},
		Topics: []snapshot.GroupTopic{
			{Topic: "order-events_v2-01", BrokerOffset: 300, ConsumerOffset: 290, Lag: 10},
		},
	}

	brokerA := &snapshot.Broker{
		Cluster: "ClusterA", Name: "broker-a", ID: 0, Addr: "10.0.1.1:10911", Role: snapshot.RoleMaster,
		Up: true, LastSuccess: finished, Duration: 1500 * time.Millisecond,
		// The deadline cut this cycle after the listings: one topic's
		// offsets and two clients' figures are the last cycle's.
		Cut: true, Cuts: 2, LagPending: 3, Carried: map[string]int{snapshot.CarriedTopicOffsets: 1, snapshot.CarriedClientRunningInfo: 2},
		Version: "V5_3_3", VersionCode: 479, BootTime: boot,
		Runtime: runtimeinfo.Parse(masterTable()),
		Config:  map[string]string{"autoDeleteUnusedStats": "true", "enableDetailStat": "true", "enableLmq": "true", "enableLmqStats": "false"},
		Topics: []snapshot.Topic{
			{Name: "%DLQ%payments-consumer", Kind: snapshot.KindDLQ, ReadQueues: 1, WriteQueues: 1, Perm: 6,
				HasOffsets: true, MaxOffset: 5, MinOffset: 1, LastPut: ms(testNow.Add(-10 * time.Minute)),
				Queues: []snapshot.QueueOffsets{{QueueID: 0, MinOffset: 1, MaxOffset: 5}}},
			{Name: "%RETRY%deleted-group", Kind: snapshot.KindRetry, ReadQueues: 1, WriteQueues: 1, Perm: 6,
				HasOffsets: true, Queues: []snapshot.QueueOffsets{{QueueID: 0}}},
			{Name: "%RETRY%payments-consumer", Kind: snapshot.KindRetry, ReadQueues: 1, WriteQueues: 1, Perm: 6,
				HasOffsets: true, MaxOffset: 12, LastPut: ms(testNow.Add(-95 * time.Second)),
				Queues: []snapshot.QueueOffsets{{QueueID: 0, MaxOffset: 12}}, Put: &snapshot.Window{TPS: 0.05, BytesPerSec: 12.8, Sum: 3}},
			{Name: "TBW102", Kind: snapshot.KindSystem, ReadQueues: 8, WriteQueues: 8, Perm: 7, HasOffsets: true},
			{Name: "order-events_v2-01", Kind: snapshot.KindNormal, ReadQueues: 2, WriteQueues: 2, Perm: 6, Order: true,
				HasOffsets: true, MaxOffset: 300, MinOffset: 20, LastPut: ms(testNow.Add(-30 * time.Second)),
				Queues: []snapshot.QueueOffsets{{QueueID: 0, MinOffset: 10, MaxOffset: 150}, {QueueID: 1, MinOffset: 10, MaxOffset: 150}},
				Put:    &snapshot.Window{TPS: 0.5, BytesPerSec: 256, Sum: 30}},
			{Name: "payments", Kind: snapshot.KindNormal, ReadQueues: 2, WriteQueues: 2, Perm: 6,
				HasOffsets: true, MaxOffset: 1500, MinOffset: 0, LastPut: ms(testNow.Add(-2 * time.Second)),
				Queues: []snapshot.QueueOffsets{{QueueID: 0, MaxOffset: 750}, {QueueID: 1, MaxOffset: 750}},
				Put:    &snapshot.Window{TPS: 4.5, BytesPerSec: 1152, Sum: 270}},
			{Name: "rmq_sys_REVIVE_LOG_broker-a", Kind: snapshot.KindSystem, ReadQueues: 1, WriteQueues: 1, Perm: 6},
		},
		Groups: []snapshot.Group{audit, broadcast, payments},
		Producers: []snapshot.ProducerGroup{
			{Name: "payments-producer", Clients: []snapshot.ProducerClient{
				{ID: "10.2.0.5@prod-1", Addr: "10.2.0.5:60000", Language: "JAVA", Version: 479},
				{ID: "10.2.0.6@prod-2", Addr: "10.2.0.6:60001", Language: "CPP", Version: 401},
			}},
		},
		Leaks: &snapshot.LeakReport{
			StatItems:  map[string]int{"TOPIC_PUT_NUMS": 2, "GROUP_GET_NUMS": 1},
			ProbedKeys: map[string]int{"TOPIC_PUT_NUMS": 12, "GROUP_GET_NUMS": 9},
			Items: []snapshot.LeakedItem{
				{Stats: "TOPIC_PUT_NUMS", Key: "old-topic", Subject: "old-topic", Kind: "topic"},
			},
			OrphanedOffsets: []snapshot.OrphanedOffset{{Topic: "old-topic", Group: "deleted-group", Missing: "both"}},
			LeftoverTopics:  []string{"%RETRY%deleted-group"},
			Tombstones:      map[string]int{"topic": 3, "group": 1},
		},
		LMQ:  &snapshot.LMQReport{Queues: map[string]int{"mqtt-parent": 3}, Groups: 2},
		RPCs: map[string]int{"GET_BROKER_RUNTIME_INFO": 1},
	}
	slaveA := &snapshot.Broker{
		Cluster: "ClusterA", Name: "broker-a", ID: 1, Addr: "10.0.1.2:10911", Role: snapshot.RoleSlave,
		Up: true, LastSuccess: finished, Duration: 300 * time.Millisecond,
		Version: "V5_3_3", VersionCode: 479, BootTime: time.UnixMilli(1795620370000),
		Runtime: runtimeinfo.Parse(slaveTable()),
	}
	brokerB := &snapshot.Broker{
		Cluster: "ClusterB", Name: "broker-b", ID: 0, Addr: "10.1.1.1:10911", Role: snapshot.RoleMaster,
		Up: false, Stale: true, LastSuccess: finished.Add(-time.Minute), Err: "context deadline exceeded",
		Duration: 10 * time.Second, Version: "V4_9_4", VersionCode: 398, BootTime: time.UnixMilli(1795623000000),
		Runtime: runtimeinfo.Parse(brokerBTable()),
		Topics: []snapshot.Topic{
			{Name: "%RETRY%inventory-sync", Kind: snapshot.KindRetry, ReadQueues: 1, WriteQueues: 1, Perm: 6, HasOffsets: true},
			{Name: "ClusterB", Kind: snapshot.KindSystem, ReadQueues: 16, WriteQueues: 16, Perm: 7},
			{Name: "inventory", Kind: snapshot.KindNormal, ReadQueues: 4, WriteQueues: 4, Perm: 6,
				HasOffsets: true, MaxOffset: 10, MinOffset: 0, LastPut: ms(testNow.Add(-5 * time.Minute))},
		},
		Groups: []snapshot.Group{
			{Name: "inventory-sync", HasConfig: true, ConsumeEnable: true, Online: true, MessageModel: "CLUSTERING",
				ConsumeType: "CONSUME_ACTIVELY",
				Clients:     []snapshot.Client{{ID: "10.3.0.1@inv", Addr: "10.3.0.1:41000", Language: "JAVA", Version: 398}},
				Topics: []snapshot.GroupTopic{
					{Topic: "%RETRY%inventory-sync", HasLagSeconds: true},
					{Topic: "inventory", BrokerOffset: 10, ConsumerOffset: 10, HasLagSeconds: true, LastConsume: ms(testNow.Add(-5 * time.Minute))},
				}},
			// payments-consumer also consumes on cluster B: the Java
			// families without a broker label sum both clusters.
			{Name: "payments-consumer", HasConfig: true, Online: true, MessageModel: "CLUSTERING", ConsumeType: "CONSUME_PASSIVELY",
				Clients: []snapshot.Client{{ID: "10.2.0.7@pay-1", Addr: "10.2.0.7:51240", Language: "JAVA", Version: 479},
					{ID: "10.3.0.2@pay-3", Addr: "10.3.0.2:51000", Language: "JAVA", Version: 479}},
				Topics: []snapshot.GroupTopic{{Topic: "payments", BrokerOffset: 40, ConsumerOffset: 35, Lag: 5}}},
		},
	}

	return &fixture{
		head: snapshot.Snapshot{Seq: 42, Started: started, Finished: finished,
			Entities: map[string]int{"topic": 10, "group": 4, "client": 5, "producer": 2},
			Removed:  map[string]int{"topic": 1}},
		targets: [3]snapshot.Target{
			{Namesrvs: []string{"10.0.0.1:9876", "10.0.0.2:9876"}, Up: true, Namesrv: "10.0.0.1:9876", Clusters: []string{"ClusterA"}, LastSuccess: finished,
				NamesrvUp: map[string]bool{"10.0.0.1:9876": true, "10.0.0.2:9876": false}},
			{Namesrvs: []string{"10.1.0.1:9876"}, Up: true, Namesrv: "10.1.0.1:9876", Clusters: []string{"ClusterB"}, LastSuccess: finished},
			{Namesrvs: []string{"10.9.9.9:9876"}, Up: false, Err: "dial tcp 10.9.9.9:9876: i/o timeout"},
		},
		brokerA: brokerA, slaveA: slaveA, brokerB: brokerB,
	}
}

// families in a rendered text, sorted.
func familyNames(mfs []*dto.MetricFamily) []string {
	var out []string
	for _, mf := range mfs {
		out = append(out, mf.GetName())
	}
	sort.Strings(out)
	return out
}

func dump(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, m[k])
	}
	return b.String()
}
