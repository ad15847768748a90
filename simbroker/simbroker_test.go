package simbroker

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func start(t *testing.T, o Options) (*Cluster, *brokeradmin.Client) {
	t.Helper()
	c, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	a := brokeradmin.New(remoting.NewClient(remoting.Options{}))
	t.Cleanup(func() {
		a.Remoting().Close()
		c.Close()
	})
	return c, a
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func groupOn(c *Cluster, b int, online bool) *group {
	for _, g := range c.bs[b].groups {
		if !g.system && len(g.subs) > 0 && (len(g.clients) > 0) == online {
			return g
		}
	}
	return nil
}

// TestEveryCall drives every call the exporter makes through our own admin
// client, in both header encodings, and checks the answers agree with each
// other and with the simulator's own state.
func TestEveryCall(t *testing.T) {
	for _, binary := range []bool{false, true} {
		c, a := start(t, Options{Brokers: 2, Slaves: true, Topics: 40, Groups: 20, OnlineEvery: 2, ActiveEvery: 1, Queues: 3, BinaryHeaders: binary})
		ctx := ctxT(t)
		c.Tick()
		ci, err := a.ClusterInfo(ctx, c.Namesrv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(ci.Instances()); n != 4 {
			t.Fatalf("%d instances, want 2 masters and 2 slaves", n)
		}
		list, err := a.AllTopicList(ctx, c.Namesrv.Addr)
		if err != nil || len(list) < 40 {
			t.Fatalf("topic list: %d, %v", len(list), err)
		}
		truth := c.Truth(time.Minute)
		b0 := c.Brokers[0].Addr()
		tc, err := a.AllTopicConfig(ctx, b0)
		if err != nil || len(tc.TopicConfigTable) != truth[0].Topics {
			t.Fatalf("topic config: %d topics, want %d (%v)", len(tc.TopicConfigTable), truth[0].Topics, err)
		}
		if want := c.SystemTopics() + 20 + truth[0].OnlineGroups; truth[0].Topics != want { // business and retry topics
			t.Errorf("broker-0 holds %d topics, want %d", truth[0].Topics, want)
		}
		sg, err := a.AllSubscriptionGroups(ctx, b0)
		if err != nil || len(sg.SubscriptionGroupTable) != c.SystemGroups()+10 {
			t.Fatalf("groups: %d, %v", len(sg.SubscriptionGroupTable), err)
		}
		on, off := groupOn(c, 0, true), groupOn(c, 0, false)
		if on == nil || off == nil {
			t.Fatal("broker-0 needs an online and an offline group")
		}
		topic := on.subs[0].t.name
		rd, err := a.TopicRoute(ctx, c.Namesrv.Addr, topic)
		if err != nil || len(rd.QueueDatas) != 1 || rd.QueueDatas[0].BrokerName != "broker-0" {
			t.Fatalf("route: %+v %v", rd, err)
		}
		ts, err := a.TopicStats(ctx, b0, topic)
		if err != nil || len(ts.Queues) != 3 || ts.Queues[0].MaxOffset != 101 || ts.TopicPutTps <= 0 {
			t.Fatalf("topic stats: %+v %v", ts, err)
		}
		bcs, err := a.BrokerConsumeStats(ctx, b0, false)
		if err != nil || bcs.TotalDiff != truth[0].Lag {
			t.Fatalf("broker consume stats: diff %d, want %d (%v)", bcs.TotalDiff, truth[0].Lag, err)
		}
		cs, err := a.ConsumeStats(ctx, b0, off.name, "")
		if err != nil || len(cs.Queues) != 3 || cs.Queues[0].Lag() != 3+1 {
			t.Fatalf("offline group's consume stats: %+v %v", cs, err)
		}
		if _, err := a.ConsumerConnections(ctx, b0, off.name); remoting.ResponseCode(err) != remoting.CodeConsumerNotOnline {
			t.Fatalf("offline group's connections: %v", err)
		}
		cc, err := a.ConsumerConnections(ctx, b0, on.name)
		if err != nil || len(cc.ConnectionSet) != 1 {
			t.Fatalf("online group's connections: %+v %v", cc, err)
		}
		ri, err := a.ConsumerRunningInfo(ctx, b0, on.name, cc.ConnectionSet[0].ClientID)
		if err != nil || len(ri.StatusTable) != 2 {
			t.Fatalf("running info: %+v %v", ri, err)
		}
		sd, err := a.ViewBrokerStatsData(ctx, b0, "TOPIC_PUT_NUMS", topic)
		if err != nil || sd.StatsMinute.Sum != 3 {
			t.Fatalf("TOPIC_PUT_NUMS: %+v %v", sd, err)
		}
		if _, err := a.ViewBrokerStatsData(ctx, b0, "TOPIC_PUT_NUMS", off.subs[0].t.name+"x"); !admin.IsStatsNotExist(err) {
			t.Fatalf("missing stat item: %v", err)
		}
		who, err := a.QueryTopicConsumeByWho(ctx, b0, topic)
		if err != nil || len(who) != 1 || who[0] != on.name {
			t.Fatalf("who: %v %v", who, err)
		}
		spans, err := a.QueryConsumeTimeSpan(ctx, b0, off.subs[0].t.name, off.name)
		if err != nil || len(spans) != 3 || spans[0].DelayTime <= 0 {
			t.Fatalf("time span: %+v %v", spans, err)
		}
		offs, err := a.AllConsumerOffsets(ctx, b0)
		if err != nil || len(offs.Entries) != truth[0].Pairs {
			t.Fatalf("offsets: %d entries, want %d (%v)", len(offs.Entries), truth[0].Pairs, err)
		}
		if _, err := a.AllDelayOffsets(ctx, b0); err != nil {
			t.Fatal(err)
		}
		if _, err := a.AllProducerInfo(ctx, b0); err != nil {
			t.Fatal(err)
		}
		cfg, err := a.BrokerConfig(ctx, c.Brokers[0].Slave.Addr)
		if err != nil || cfg["brokerId"] != "1" || cfg["brokerName"] != "broker-0" {
			t.Fatalf("slave config: %v %v", cfg, err)
		}
		kv, err := a.BrokerRuntimeInfo(ctx, b0)
		if err != nil || kv["brokerVersionDesc"] != "V5_3_3" || kv["msgPutTotalTodayNow"] != strconv.Itoa(3*truth[0].ActiveTopics) {
			t.Fatalf("runtime: %v %v", kv["msgPutTotalTodayNow"], err)
		}

		// create and delete, as an operator (or the churn) would
		if err := a.CreateTopic(ctx, b0, admin.TopicConfig{TopicName: "made-here"}); err != nil {
			t.Fatal(err)
		}
		if err := a.CreateSubscriptionGroup(ctx, b0, brokeradmin.NewGroupConfig("made-group")); err != nil {
			t.Fatal(err)
		}
		if err := a.DeleteTopicInBroker(ctx, b0, topic); err != nil {
			t.Fatal(err)
		}
		if err := a.DeleteTopicInNamesrv(ctx, c.Namesrv.Addr, topic, ""); err != nil {
			t.Fatal(err)
		}
		if err := a.DeleteSubscriptionGroup(ctx, b0, off.name, true); err != nil {
			t.Fatal(err)
		}
		tc, _ = a.AllTopicConfig(ctx, b0)
		sg, _ = a.AllSubscriptionGroups(ctx, b0)
		_, made := tc.TopicConfigTable["made-here"]
		_, gone := tc.TopicConfigTable[topic]
		_, madeG := sg.SubscriptionGroupTable["made-group"]
		_, goneG := sg.SubscriptionGroupTable[off.name]
		if !made || gone || !madeG || goneG {
			t.Fatalf("mutations not applied: made %v gone %v madeG %v goneG %v", made, gone, madeG, goneG)
		}
		if _, err := a.ViewBrokerStatsData(ctx, b0, "TOPIC_PUT_NUMS", topic); !admin.IsStatsNotExist(err) {
			t.Fatalf("a deleted topic's stats on 5.3.3 (autoDeleteUnusedStats): %v", err)
		}
		if _, err := a.TopicStats(ctx, b0, topic); remoting.ResponseCode(err) != remoting.CodeTopicNotExist {
			t.Fatalf("deleted topic's stats: %v", err)
		}
	}
}

// TestNumbersHangTogether ticks a simulated minute and more and checks the
// stat windows, offsets and lag against each other.
func TestNumbersHangTogether(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	c, a := start(t, Options{Topics: 10, Groups: 10, Queues: 2, OnlineEvery: 2, ActiveEvery: 1, PutsPerTick: 5, Now: clk.Now})
	ctx := ctxT(t)
	b := c.Brokers[0].Addr()
	on, off := groupOn(c, 0, true), groupOn(c, 0, false)
	if on == nil || off == nil {
		t.Fatal("need an online and an offline group")
	}
	topic := on.subs[0].t.name
	for i := 0; i < 12; i++ { // two minutes, a tick every 10 s
		clk.Add(10 * time.Second)
		c.Tick()
	}
	sd, err := a.ViewBrokerStatsData(ctx, b, "TOPIC_PUT_NUMS", topic)
	if err != nil {
		t.Fatal(err)
	}
	// the minute window holds the ticks after now-60s: 6 ticks x 5 x 2 queues
	if sd.StatsMinute.Sum != 60 || sd.StatsMinute.Tps != 1 || sd.StatsHour.Sum != 120 || sd.StatsMinute.Avgpt != 1 {
		t.Fatalf("TOPIC_PUT_NUMS windows: %+v", sd)
	}
	get, err := a.ViewBrokerStatsData(ctx, b, "GROUP_GET_NUMS", topic+"@"+on.name)
	if err != nil || get.StatsMinute.Sum != 60 {
		t.Fatalf("GROUP_GET_NUMS: %+v %v", get, err)
	}
	if _, err := a.ViewBrokerStatsData(ctx, b, "GROUP_GET_NUMS", off.subs[0].t.name+"@"+off.name); !admin.IsStatsNotExist(err) {
		t.Fatalf("an offline group has no get stats: %v", err)
	}
	ts, _ := a.TopicStats(ctx, b, topic)
	if ts.Queues[0].MaxOffset != 100+12*5 || ts.TopicPutTps != 1 {
		t.Fatalf("topic stats: %+v", ts)
	}
	cs, _ := a.ConsumeStats(ctx, b, off.name, "")
	if l := cs.Queues[0].Lag(); l != 3+12*5 {
		t.Fatalf("offline lag per queue %d, want %d", l, 3+12*5)
	}
	spans, _ := a.QueryConsumeTimeSpan(ctx, b, off.subs[0].t.name, off.name)
	// the oldest unconsumed message is one of the initial ones, stored in
	// the hour before start: its age is between 2 min and 1 h 2 min
	if d := time.Duration(spans[0].DelayTime) * time.Millisecond; d < 2*time.Minute || d > 62*time.Minute {
		t.Fatalf("delay of the oldest unconsumed message %v", d)
	}
	online, _ := a.ConsumeStats(ctx, b, on.name, "")
	if online.Queues[0].Lag() != 0 || online.ConsumeTps != 1 {
		t.Fatalf("online group: %+v", online)
	}
	clk.Add(2 * time.Minute) // traffic stops: the minute window empties
	sd, _ = a.ViewBrokerStatsData(ctx, b, "TOPIC_PUT_NUMS", topic)
	if sd.StatsMinute.Sum != 0 || sd.StatsMinute.Tps != 0 || sd.StatsHour.Sum != 120 {
		t.Fatalf("after traffic stopped: %+v", sd)
	}
}

// TestChurnKeepsShape replaces topics and groups and checks the cluster
// keeps its size while the names move on.
func TestChurnKeepsShape(t *testing.T) {
	c, a := start(t, Options{Brokers: 3, Topics: 300, Groups: 150})
	before := c.Truth(time.Minute)
	tn, gn := c.Churn(0.1)
	if tn != 30 || gn != 15 {
		t.Fatalf("churned %d topics and %d groups", tn, gn)
	}
	after := c.Truth(time.Minute)
	for i := range before {
		b, a := before[i], after[i]
		if b.Topics != a.Topics || b.Groups != a.Groups || b.Pairs != a.Pairs || b.Clients != a.Clients {
			t.Errorf("broker %d changed shape: %+v -> %+v", i, b, a)
		}
	}
	list, err := a.AllTopicList(ctxT(t), c.Namesrv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range list {
		found = found || n == "sim-topic-0000001"
	}
	if len(list) != 300+3*c.SystemTopics()-6+15 { // the cluster and broker-named topics differ per broker
		t.Logf("%d topics listed", len(list))
	}
	_ = found
}

// TestFaults checks each fault and its healing.
func TestFaults(t *testing.T) {
	c, a := start(t, Options{Topics: 4, Groups: 2})
	s := c.Brokers[0].Master
	call := func(d time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		_, err := a.BrokerRuntimeInfo(ctx, s.Addr)
		return err
	}
	if err := call(time.Second); err != nil {
		t.Fatal(err)
	}
	s.SetFault(Fault{Latency: 150 * time.Millisecond})
	t0 := time.Now()
	if err := call(time.Second); err != nil || time.Since(t0) < 150*time.Millisecond {
		t.Fatalf("latency: %v after %v", err, time.Since(t0))
	}
	s.SetFault(Fault{Hold: true})
	if err := call(200 * time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hold: %v", err)
	}
	s.ClearFault()
	if err := call(time.Second); err != nil {
		t.Fatalf("after hold: %v", err)
	}
	s.SetFault(Fault{Close: true})
	if err := call(time.Second); err == nil {
		t.Fatal("close: no error")
	}
	s.SetFault(Fault{Garbage: true})
	var fe *remoting.FrameError
	if err := call(time.Second); !errors.As(err, &fe) {
		t.Fatalf("garbage: %v", err)
	}
	s.SetFault(Fault{BadBody: true})
	var de *admin.DecodeError
	if err := call(time.Second); !errors.As(err, &de) {
		t.Fatalf("bad body: %v", err)
	}
	s.SetFault(Fault{Code: remoting.CodeSystemBusy})
	if err := call(time.Second); remoting.ResponseCode(err) != remoting.CodeSystemBusy {
		t.Fatalf("code: %v", err)
	}
	s.SetFault(Fault{Code: remoting.CodeSystemBusy, AfterCalls: 2})
	for i := 0; i < 2; i++ {
		if err := call(time.Second); err != nil {
			t.Fatalf("call %d before the fault: %v", i, err)
		}
	}
	if err := call(time.Second); remoting.ResponseCode(err) != remoting.CodeSystemBusy {
		t.Fatalf("after 2 calls: %v", err)
	}
	s.ClearFault()
	if err := call(time.Second); err != nil {
		t.Fatalf("healed: %v", err)
	}
	// a held request is answered when the fault ends, or dropped at Close
	s.SetFault(Fault{Hold: true})
	_ = call(50 * time.Millisecond)
}

// TestVersion4KeepsStatsOfDeletedTopics: a 4.9.7 broker (autoDeleteUnusedStats
// false) still answers for a deleted topic's stat items.
func TestVersion4KeepsStatsOfDeletedTopics(t *testing.T) {
	c, a := start(t, Options{Version: "4.9.7", Topics: 2, Groups: 2, OnlineEvery: 1, ActiveEvery: 1})
	c.Tick()
	ctx := ctxT(t)
	b := c.Brokers[0].Addr()
	topic := c.topicSlots[0].name
	if err := a.DeleteTopicInBroker(ctx, b, topic); err != nil {
		t.Fatal(err)
	}
	sd, err := a.ViewBrokerStatsData(ctx, b, "TOPIC_PUT_NUMS", topic)
	if err != nil || sd.StatsMinute.Sum == 0 {
		t.Fatalf("leaked stat item: %+v %v", sd, err)
	}
	kv, _ := a.BrokerRuntimeInfo(ctx, b)
	if kv["brokerVersionDesc"] != "V4_9_7" || kv["getTransferedTps"] == "" {
		t.Fatalf("4.9.7 runtime info: %v", kv)
	}
	if _, err := Start(Options{Version: "3.2.6"}); err == nil {
		t.Fatal("an unknown version started")
	}
}
