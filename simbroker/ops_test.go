package simbroker

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
)

// applied fails t when an operation did not apply.
func applied(t *testing.T) func(bool, error) {
	return func(ok bool, err error) {
		t.Helper()
		if err != nil || !ok {
			t.Fatalf("operation did not apply: %v", err)
		}
	}
}

// leakScenario is docs/leaks.md's measurement, played on the simulator: a
// topic with 2 queues, two groups reading it, one sending every message
// to its DLQ, then the topic and both groups deleted as mqadmin does.
func leakScenario(t *testing.T, c *Cluster) {
	must := applied(t)
	t.Helper()
	must(c.CreateTopic(0, "leak-t", 2))
	for _, g := range []string{"leak-ok", "leak-dlq"} {
		must(c.CreateGroup(0, g))
		must(c.Subscribe(0, g, "leak-t"))
		must(c.SetClients(0, g, 1))
	}
	must(c.Produce(0, "leak-t", 3))
	must(c.CatchUp(0, "leak-ok"))
	must(c.CatchUp(0, "leak-dlq"))
	must(c.SendBack(0, "leak-dlq", "leak-t", 6, true))
	must(c.DeleteTopic(0, "leak-t", ByMQAdmin))
	must(c.DeleteGroup(0, "leak-ok", ByAPI, true))
	must(c.DeleteGroup(0, "leak-dlq", ByAPI, true))
}

// TestLeaksAsMeasured checks, over the wire, that every version and
// cleanup setting keeps the stat items docs/leaks.md measured on real
// brokers (counted per stats name, latency items once per pair as the
// table counts them), and that the oracle lists exactly the items the
// broker answers for.
func TestLeaksAsMeasured(t *testing.T) {
	on, off := true, false
	cases := []struct {
		version string
		auto    *bool
		want    map[string]int
	}{
		{"5.3.3", nil, map[string]int{"SNDBCK2DLQ_TIMES": 1}},
		{"5.3.3", &off, map[string]int{"GROUP_GET_LATENCY": 2, "GROUP_GET_NUMS": 2, "GROUP_GET_SIZE": 2, "SNDBCK2DLQ_TIMES": 1,
			"SNDBCK_PUT_NUMS": 1, "TOPIC_PUT_LATENCY": 1, "TOPIC_PUT_NUMS": 1, "TOPIC_PUT_SIZE": 1}},
		{"5.4.0", nil, map[string]int{"SNDBCK2DLQ_TIMES": 1}},
		{"4.9.7", &on, map[string]int{}},
		{"4.9.7", nil, map[string]int{"GROUP_GET_LATENCY": 2, "GROUP_GET_NUMS": 2, "GROUP_GET_SIZE": 2, "SNDBCK_PUT_NUMS": 1,
			"TOPIC_PUT_NUMS": 1, "TOPIC_PUT_SIZE": 1}},
	}
	for _, tc := range cases {
		name := tc.version + "/default"
		if tc.auto != nil {
			name = tc.version + "/" + strconv.FormatBool(*tc.auto)
		}
		t.Run(name, func(t *testing.T) {
			c, a := start(t, Options{Version: tc.version, AutoDeleteUnusedStats: tc.auto})
			leakScenario(t, c)
			ctx := ctxT(t)
			addr := c.Brokers[0].Addr()
			got := map[string]int{}
			for _, it := range c.Oracle()[0].Leaked {
				if _, err := a.ViewBrokerStatsData(ctx, addr, it.Stats, it.Key); err != nil {
					t.Errorf("the oracle lists %s %s, the broker answers %v", it.Stats, it.Key, err)
				}
				if it.Stats == statGroupGetLatency && it.Key[0] != '0' {
					continue // one per pair, as the table counts them
				}
				if it.Stats == statTopicPutLatency && it.Key[0] != '0' {
					continue
				}
				got[it.Stats]++
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("leaked %v, docs/leaks.md measured %v", got, tc.want)
			}
			v := c.Oracle()[0]
			sort.Strings(v.Leftovers)
			if want := []string{"%DLQ%leak-dlq", "%RETRY%leak-dlq", "%RETRY%leak-ok"}; !reflect.DeepEqual(v.Leftovers, want) {
				t.Errorf("leftover topics %v, want %v", v.Leftovers, want)
			}
			if len(v.Orphans) != 0 {
				t.Errorf("orphaned offsets %v", v.Orphans)
			}
		})
	}
}

// TestOrphanedOffsets: a group deleted by the API without its offsets
// leaves them in the offset table; re-created, it adopts them.
func TestOrphanedOffsets(t *testing.T) {
	must := applied(t)
	c, a := start(t, Options{Version: "4.9.7"})
	ctx := ctxT(t)
	addr := c.Brokers[0].Addr()
	must(c.CreateTopic(0, "t", 1))
	must(c.CreateGroup(0, "g"))
	must(c.Subscribe(0, "g", "t"))
	if err := a.DeleteSubscriptionGroup(ctx, addr, "g", false); err != nil {
		t.Fatal(err)
	}
	offs, err := a.AllConsumerOffsets(ctx, addr)
	if err != nil || len(offs.Entries) != 1 || offs.Entries[0].Topic != "t" || offs.Entries[0].Group != "g" {
		t.Fatalf("offsets after deleting the group alone: %+v %v", offs, err)
	}
	if o := c.Oracle()[0].Orphans; len(o) != 1 || o[0] != (Offset{"t", "g"}) {
		t.Fatalf("oracle orphans %v", o)
	}
	must(c.CreateGroup(0, "g"))
	if o := c.Oracle()[0]; len(o.Orphans) != 0 || len(o.Offsets) != 1 {
		t.Fatalf("re-created group: orphans %v offsets %v", o.Orphans, o.Offsets)
	}
	if err := a.DeleteSubscriptionGroup(ctx, addr, "g", true); err != nil {
		t.Fatal(err)
	}
	if offs, err := a.AllConsumerOffsets(ctx, addr); err != nil || len(offs.Entries) != 0 {
		t.Fatalf("offsets after a delete with removeOffset (4.x): %+v %v", offs, err)
	}
}

// TestKillAndRestart: a killed broker leaves the namesrv's listings at
// once; restarted, it is listed again with a new boot time, its topics,
// and none of the stat items it leaked.
func TestKillAndRestart(t *testing.T) {
	must := applied(t)
	c, a := start(t, Options{Version: "4.9.7", Brokers: 2})
	ctx := ctxT(t)
	must(c.CreateTopic(1, "t", 1))
	must(c.Produce(1, "t", 2))
	must(c.DeleteTopic(1, "t", ByAPI))
	must(c.CreateTopic(1, "kept", 1))
	if n := len(c.Oracle()[1].Leaked); n != 2 {
		t.Fatalf("%d leaked items before the restart, want 2", n)
	}
	old := c.Brokers[1].Addr()
	kv, _ := a.BrokerRuntimeInfo(ctx, old)
	if err := c.Kill(1); err != nil {
		t.Fatal(err)
	}
	ci, err := a.ClusterInfo(ctx, c.Namesrv.Addr)
	if err != nil || len(ci.Instances()) != 1 {
		t.Fatalf("cluster info with one broker killed: %+v %v", ci, err)
	}
	if ok, _ := c.Produce(1, "kept", 1); ok || c.Up(1) {
		t.Fatal("a killed broker took traffic")
	}
	if err := c.Restart(1); err != nil {
		t.Fatal(err)
	}
	addr := c.Brokers[1].Addr()
	after, err := a.BrokerRuntimeInfo(ctx, addr)
	if err != nil || after["bootTimestamp"] == kv["bootTimestamp"] {
		t.Fatalf("boot time %q -> %q (%v)", kv["bootTimestamp"], after["bootTimestamp"], err)
	}
	if _, err := a.ViewBrokerStatsData(ctx, addr, statTopicPutNums, "t"); !admin.IsStatsNotExist(err) {
		t.Fatalf("a restart keeps a leaked item: %v", err)
	}
	tc, err := a.AllTopicConfig(ctx, addr)
	if err != nil || tc.TopicConfigTable["kept"].TopicName == "" {
		t.Fatalf("topics after the restart: %v", err)
	}
	if v := c.Oracle()[1]; !v.Up || len(v.Leaked) != 0 {
		t.Fatalf("oracle after restart: up %v leaked %v", v.Up, v.Leaked)
	}
	if ci, _ := a.ClusterInfo(ctx, c.Namesrv.Addr); len(ci.Instances()) != 2 {
		t.Fatal("the restarted broker is not listed")
	}
}

// TestNamesrvFailoverAndTwins: one of two namesrvs killed, the other
// answers; two clusters with equal cluster and broker names run side by
// side, each listing only its own broker.
func TestNamesrvFailoverAndTwins(t *testing.T) {
	c, a := start(t, Options{Namesrvs: 2})
	twin, _ := start(t, Options{})
	ctx := ctxT(t)
	if err := c.KillNamesrv(0); err != nil {
		t.Fatal(err)
	}
	addrs := c.NamesrvAddrs()
	if _, err := a.ClusterInfo(ctx, addrs[0]); err == nil {
		t.Fatal("a killed namesrv answered")
	}
	for i, cl := range []*Cluster{c, twin} {
		ns := cl.NamesrvAddrs()[len(cl.NamesrvAddrs())-1]
		ci, err := a.ClusterInfo(ctx, ns)
		if err != nil {
			t.Fatal(err)
		}
		inst := ci.Instances()
		if len(inst) != 1 || inst[0].Cluster != "SimCluster" || inst[0].BrokerName != "broker-0" || inst[0].Addr != cl.Brokers[0].Addr() {
			t.Fatalf("cluster %d lists %+v", i, inst)
		}
	}
	if err := c.RestartNamesrv(0); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ClusterInfo(ctx, c.NamesrvAddrs()[0]); err != nil {
		t.Fatalf("restarted namesrv: %v", err)
	}
}

// TestRoutesAndLMQ: a topic deleted by the API keeps its namesrv route,
// one deleted by mqadmin does not; LMQ offsets show in the offset table
// and, with enableLmqStats, keep a stat item per LMQ that is no leak.
func TestRoutesAndLMQ(t *testing.T) {
	must := applied(t)
	c, a := start(t, Options{LmqStats: true})
	ctx := ctxT(t)
	ns := c.Namesrv.Addr
	for _, name := range []string{"api", "cli"} {
		must(c.CreateTopic(0, name, 2))
	}
	must(c.DeleteTopic(0, "api", ByAPI))
	must(c.DeleteTopic(0, "cli", ByMQAdmin))
	if _, err := a.TopicRoute(ctx, ns, "api"); err != nil {
		t.Errorf("route of a topic deleted in the broker alone: %v", err)
	}
	if _, err := a.TopicRoute(ctx, ns, "cli"); err == nil {
		t.Error("route of a topic mqadmin deleted still answers")
	}
	must(c.CreateGroup(0, "mqtt"))
	for i := 0; i < 3; i++ {
		must(c.ConsumeLMQ(0, "mqtt", fmt.Sprintf("%%LMQ%%room/%d", i), 2))
	}
	offs, err := a.AllConsumerOffsets(ctx, c.Brokers[0].Addr())
	if err != nil || len(offs.Entries) != 3 {
		t.Fatalf("LMQ offsets: %+v %v", offs, err)
	}
	if _, err := a.ViewBrokerStatsData(ctx, c.Brokers[0].Addr(), statGroupGetNums, "%LMQ%room/1@mqtt"); err != nil {
		t.Fatalf("per-LMQ stat item: %v", err)
	}
	v := c.Oracle()[0]
	if len(v.LMQs) != 3 || len(v.Leaked) != 0 || len(v.Orphans) != 0 {
		t.Fatalf("oracle: lmqs %v leaked %v orphans %v", v.LMQs, v.Leaked, v.Orphans)
	}
}
