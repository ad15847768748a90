package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/audit"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

func newAdmin(t *testing.T) *brokeradmin.Client {
	a := brokeradmin.New(remoting.NewClient(remoting.Options{}))
	t.Cleanup(func() { a.Remoting().Close() })
	return a
}

// brokerOf returns the snapshot's master of c.
func brokerOf(s *snapshot.Snapshot, c *realbroker.Cluster) *snapshot.Broker {
	for _, b := range s.Brokers {
		if b.Addr == c.BrokerAddr {
			return b
		}
	}
	return nil
}

// leaksOf lists the stat items found for subject.
func leaksOf(b *snapshot.Broker, subject string) []snapshot.LeakedItem {
	var out []snapshot.LeakedItem
	if b == nil || b.Leaks == nil {
		return nil
	}
	for _, it := range b.Leaks.Items {
		if it.Subject == subject {
			out = append(out, it)
		}
	}
	return out
}

func statsNames(items []snapshot.LeakedItem) []string {
	var out []string
	for _, it := range items {
		if !slices.Contains(out, it.Stats) {
			out = append(out, it.Stats)
		}
	}
	slices.Sort(out)
	return out
}

// trafficThenDelete creates a topic and group on c, produces and consumes
// through them, lets the exporter see them, then deletes the topic (broker
// and namesrv). It returns the names.
func trafficThenDelete(t *testing.T, ctx context.Context, c *realbroker.Cluster, a *app.App) (topic, group string) {
	t.Helper()
	adm := newAdmin(t)
	topic, group = unique("leak-t"), unique("GID_leak")
	if err := adm.CreateTopic(ctx, c.BrokerAddr, admin.TopicConfig{TopicName: topic, ReadQueueNums: 2}); err != nil {
		t.Fatal(err)
	}
	if err := adm.CreateSubscriptionGroup(ctx, c.BrokerAddr, brokeradmin.NewGroupConfig(group)); err != nil {
		t.Fatal(err)
	}
	if err := adm.WaitRoute(ctx, c.NamesrvAddr, topic); err != nil {
		t.Fatal(err)
	}
	if err := workload.Produce(ctx, c.NamesrvAddr, topic, 6); err != nil {
		t.Fatal(err)
	}
	if err := workload.ConsumeAll(ctx, c.NamesrvAddr, group, topic, 6); err != nil {
		t.Fatal(err)
	}
	a.Cycle(ctx) // the exporter knows the topic before it goes
	if b := brokerOf(a.Poller.Snapshot(), c); b == nil || !slices.ContainsFunc(b.Topics, func(x snapshot.Topic) bool { return x.Name == topic }) {
		t.Fatalf("exporter did not see topic %s before deletion", topic)
	}
	if err := adm.DeleteTopicInBroker(ctx, c.BrokerAddr, topic); err != nil {
		t.Fatal(err)
	}
	if err := adm.DeleteTopicInNamesrv(ctx, c.NamesrvAddr, topic, ""); err != nil {
		t.Fatal(err)
	}
	return topic, group
}

// TestLeakDetection deletes a topic that had traffic and checks what the
// exporter finds the broker still holds for it: on 4.9.7 (cleanup off by
// default) its stat items leak; on 5.3.3 (cleanup on) they are gone.
func TestLeakDetection(t *testing.T) {
	needBroker(t)
	cases := []struct {
		name    string
		cluster func(t *testing.T, ctx context.Context) *realbroker.Cluster
		leaks   bool
	}{
		{"default-version", func(*testing.T, context.Context) *realbroker.Cluster { return cluster }, !strings.HasPrefix(cluster.Version, "5.")},
		{"4.9.7", func(t *testing.T, ctx context.Context) *realbroker.Cluster {
			c, err := realbroker.Start(ctx, realbroker.Options{Version: "4.9.7", ClusterName: "LeakCluster", BrokerName: "broker-leak"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Stop)
			return c
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name != "default-version" && cluster.External {
				t.Skip("external cluster: only the given broker is tested")
			}
			ctx := ctxT(t, 4*time.Minute)
			c := tc.cluster(t, ctx)
			a, _ := newApp(t, func(s *app.Settings) { s.LeakProbes = 200 }, c.NamesrvAddr)
			topic, group := trafficThenDelete(t, ctx, c, a)
			a.Cycle(ctx) // buries the topic and probes its keys
			b := brokerOf(a.Poller.Snapshot(), c)
			if b == nil || b.Leaks == nil {
				t.Fatal("no leak report for the broker")
			}
			items := leaksOf(b, topic)
			t.Logf("%s (autoDeleteUnusedStats=%s): stat items left for deleted topic %s: %v", c.Version, b.Config["autoDeleteUnusedStats"], topic, statsNames(items))
			m, _, err := Scrape(a.Handler)
			if err != nil {
				t.Fatal(err)
			}
			leaked, _ := m.Value("rocketmq_broker_leaked_stat_items", map[string]string{"broker": b.Name, "stats": "TOPIC_PUT_NUMS"})
			if tc.leaks {
				for _, want := range []string{"TOPIC_PUT_NUMS", "TOPIC_PUT_SIZE", "GROUP_GET_NUMS"} {
					if !slices.Contains(statsNames(items), want) {
						t.Errorf("%s: %s of deleted topic not reported as leaked (found %v)", c.Version, want, statsNames(items))
					}
				}
				if leaked < 1 {
					t.Errorf("rocketmq_broker_leaked_stat_items{stats=TOPIC_PUT_NUMS} = %v, want >= 1", leaked)
				}
			} else {
				for _, it := range items {
					switch it.Stats {
					case "TOPIC_PUT_NUMS", "TOPIC_PUT_SIZE", "GROUP_GET_NUMS", "GROUP_GET_SIZE", "QUEUE_PUT_NUMS", "QUEUE_PUT_SIZE", "TOPIC_PUT_LATENCY", "GROUP_GET_LATENCY":
						t.Errorf("%s cleans %s on topic deletion, yet %s is reported leaked", c.Version, it.Stats, it.Key)
					}
				}
			}
			if probed, _ := m.Value("rocketmq_broker_leak_probed_keys", map[string]string{"broker": b.Name, "stats": "TOPIC_PUT_NUMS"}); probed < 1 {
				t.Errorf("no TOPIC_PUT_NUMS key probed")
			}
			_ = group
		})
	}
}

// TestOrphansAndLeftoversSurviveRestart deletes a group but keeps its
// offsets (mqadmin's default) and checks that the exporter reports the
// orphaned offsets and the %RETRY% topic left behind, and that a freshly
// started exporter (no tombstones) finds the same from the broker alone.
func TestOrphansAndLeftoversSurviveRestart(t *testing.T) {
	needBroker(t)
	ctx := ctxT(t, 3*time.Minute)
	adm := newAdmin(t)
	topic, group := unique("orph-t"), unique("GID_orph")
	if err := adm.CreateTopic(ctx, cluster.BrokerAddr, admin.TopicConfig{TopicName: topic}); err != nil {
		t.Fatal(err)
	}
	if err := adm.WaitRoute(ctx, cluster.NamesrvAddr, topic); err != nil {
		t.Fatal(err)
	}
	if err := workload.Produce(ctx, cluster.NamesrvAddr, topic, 4); err != nil {
		t.Fatal(err)
	}
	if err := workload.ConsumeAll(ctx, cluster.NamesrvAddr, group, topic, 4); err != nil {
		t.Fatal(err)
	}
	running, _ := newApp(t, nil, cluster.NamesrvAddr)
	running.Cycle(ctx)
	if err := adm.DeleteSubscriptionGroup(ctx, cluster.BrokerAddr, group, false); err != nil {
		t.Fatal(err)
	}
	running.Cycle(ctx)
	fresh, _ := newApp(t, nil, cluster.NamesrvAddr)
	fresh.Cycle(ctx)

	for name, a := range map[string]*app.App{"running": running, "fresh": fresh} {
		b := brokerOf(a.Poller.Snapshot(), cluster)
		if b == nil || b.Leaks == nil {
			t.Fatalf("%s: no leak report", name)
		}
		if !slices.ContainsFunc(b.Leaks.OrphanedOffsets, func(o snapshot.OrphanedOffset) bool {
			return o.Topic == topic && o.Group == group && o.Missing == "group"
		}) {
			t.Errorf("%s exporter: orphaned offsets %+v lack %s@%s", name, b.Leaks.OrphanedOffsets, topic, group)
		}
		if !slices.Contains(b.Leaks.LeftoverTopics, snapshot.RetryPrefix+group) {
			t.Errorf("%s exporter: leftover topics %v lack %%RETRY%%%s", name, b.Leaks.LeftoverTopics, group)
		}
		m, _, _ := Scrape(a.Handler)
		if v, _ := m.Value("rocketmq_broker_orphaned_consumer_offsets", map[string]string{"broker": b.Name}); v < 1 {
			t.Errorf("%s: rocketmq_broker_orphaned_consumer_offsets = %v", name, v)
		}
		if got := m.Mentions("group", group); len(got) > 0 {
			t.Errorf("%s: deleted group %s still labels %v", name, group, got)
		}
	}
}

// TestChurn creates and deletes topics and groups for 20 rounds, some with
// the official mqadmin CLI and some with our client, and checks after every
// round that no series names a deleted topic or group and every live one is
// still served.
func TestChurn(t *testing.T) {
	needBroker(t)
	ctx := ctxT(t, 10*time.Minute)
	adm := newAdmin(t)
	a, _ := newApp(t, nil, cluster.NamesrvAddr)
	b := cluster.BrokerAddr
	liveTopics, liveGroups := map[string]bool{}, map[string]bool{}
	var deadTopics, deadGroups []string
	var lastTopics, lastGroups []string
	var consumed []string // groups that had a consumer, with offsets and a %RETRY% topic
	for r := 0; r < 20; r++ {
		tag := fmt.Sprintf("%d%03d", r, time.Now().UnixNano()%1000)
		topics := []string{"churn-" + tag + "_a", "churn_" + tag + "-b9", "%RETRY%churn" + tag}
		groups := []string{"cg-" + tag + "_1", "cg_" + tag + "-2"}
		for _, tp := range topics {
			if err := adm.CreateTopic(ctx, b, admin.TopicConfig{TopicName: tp, ReadQueueNums: 1 + r%3}); err != nil {
				t.Fatalf("round %d: create %s: %v", r, tp, err)
			}
			liveTopics[tp] = true
		}
		for _, g := range groups {
			if err := adm.CreateSubscriptionGroup(ctx, b, brokeradmin.NewGroupConfig(g)); err != nil {
				t.Fatalf("round %d: create %s: %v", r, g, err)
			}
			liveGroups[g] = true
		}
		if r%4 == 0 { // some with traffic and a consumer, most idle
			if err := adm.WaitRoute(ctx, cluster.NamesrvAddr, topics[0]); err != nil {
				t.Fatal(err)
			}
			if err := workload.Produce(ctx, cluster.NamesrvAddr, topics[0], 3); err != nil {
				t.Fatal(err)
			}
			if err := workload.ConsumeAll(ctx, cluster.NamesrvAddr, groups[0], topics[0], 3); err != nil {
				t.Fatal(err)
			}
			// The consumer's %RETRY% topic is a live topic now.
			liveTopics[snapshot.RetryPrefix+groups[0]] = true
			consumed = append(consumed, groups[0])
		}
		// Delete last round's first topic (which had traffic every fourth
		// round) and its idle group: a group whose client just shut down can
		// be re-created by the broker from the client's last heartbeat
		// (autoCreateSubscriptionGroup), which would make it live again.
		if r > 0 {
			tp, g := lastTopics[0], lastGroups[1]
			if r%5 == 0 {
				if _, err := cluster.MQAdmin(ctx, "deleteTopic", "-c", cluster.ClusterName, "-t", tp); err != nil {
					t.Fatalf("round %d: mqadmin deleteTopic: %v", r, err)
				}
				if _, err := cluster.MQAdmin(ctx, "deleteSubGroup", "-c", cluster.ClusterName, "-g", g); err != nil {
					t.Fatalf("round %d: mqadmin deleteSubGroup: %v", r, err)
				}
				// With -c, mqadmin also deletes the group's %RETRY% and %DLQ% topics.
				if liveTopics[snapshot.RetryPrefix+g] {
					delete(liveTopics, snapshot.RetryPrefix+g)
					deadTopics = append(deadTopics, snapshot.RetryPrefix+g)
				}
			} else {
				if err := adm.DeleteTopicInBroker(ctx, b, tp); err != nil {
					t.Fatal(err)
				}
				if err := adm.DeleteTopicInNamesrv(ctx, cluster.NamesrvAddr, tp, ""); err != nil {
					t.Fatal(err)
				}
				if err := adm.DeleteSubscriptionGroup(ctx, b, g, r%2 == 0); err != nil {
					t.Fatal(err)
				}
			}
			delete(liveTopics, tp)
			delete(liveGroups, g)
			deadTopics, deadGroups = append(deadTopics, tp), append(deadGroups, g)
		}
		lastTopics, lastGroups = topics, groups

		a.Cycle(ctx)
		m, _, err := Scrape(a.Handler)
		if err != nil {
			t.Fatal(err)
		}
		for _, tp := range deadTopics {
			if got := m.Mentions("topic", tp); len(got) > 0 {
				t.Errorf("round %d: deleted topic %s still in %v", r, tp, got)
			}
		}
		for _, g := range deadGroups {
			if got := m.Mentions("group", g); len(got) > 0 {
				t.Errorf("round %d: deleted group %s still in %v", r, g, got)
			}
		}
		for tp := range liveTopics {
			if len(m.Series("rocketmq_topic_info", map[string]string{"topic": tp})) != 1 {
				t.Errorf("round %d: live topic %s not served", r, tp)
			}
		}
		for g := range liveGroups {
			if len(m.Series("rocketmq_consumer_group_info", map[string]string{"group": g})) != 1 {
				t.Errorf("round %d: live group %s not served", r, g)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	// Delete the groups that had consumers, keeping their offsets: their
	// %RETRY% topics are left behind (their topics' offsets went with the
	// topics). The audit command, run
	// afterwards from scratch, must find what the running exporter found.
	for _, g := range consumed {
		if err := adm.DeleteSubscriptionGroup(ctx, b, g, false); err != nil {
			t.Fatal(err)
		}
	}
	a.Cycle(ctx)
	running := brokerOf(a.Poller.Snapshot(), cluster)
	fresh, _ := newApp(t, nil, cluster.NamesrvAddr)
	reports, code := audit.Run(ctx, fresh.Core, nil)
	var rep *audit.Report
	for i := range reports {
		if reports[i].Addr == cluster.BrokerAddr {
			rep = &reports[i]
		}
	}
	if rep == nil || running == nil || running.Leaks == nil {
		t.Fatalf("audit reports %+v, running leaks %v", reports, running)
	}
	if code != audit.Leftovers {
		t.Errorf("audit exit code %d, want %d (leftovers)", code, audit.Leftovers)
	}
	// A client that shut down moments ago may still re-create its group
	// with a last heartbeat (autoCreateSubscriptionGroup); such a group is
	// live again and its %RETRY% topic no leftover.
	sg, err := adm.AllSubscriptionGroups(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	gone := 0
	cameBack := map[string]bool{} // their retry topics: leftovers or not, by when each pass looked
	for _, g := range consumed {
		if _, back := sg.SubscriptionGroupTable[g]; back {
			t.Logf("group %s was re-created by its client's last heartbeat", g)
			cameBack[snapshot.RetryPrefix+g] = true
			continue
		}
		gone++
		if !slices.Contains(rep.LeftoverTopics, snapshot.RetryPrefix+g) {
			t.Errorf("audit misses leftover topic %%RETRY%%%s", g)
		}
	}
	if gone == 0 {
		t.Fatal("every deleted group came back: nothing left to audit")
	}
	// A group re-created between the exporter's cycle and the audit's pass
	// is a leftover for one and not the other: compare the rest.
	notBack := func(topics []string) []string {
		return slices.DeleteFunc(slices.Clone(topics), func(tp string) bool { return cameBack[tp] })
	}
	if !slices.Equal(notBack(rep.LeftoverTopics), notBack(running.Leaks.LeftoverTopics)) {
		t.Errorf("leftover topics: audit %v, running exporter %v", rep.LeftoverTopics, running.Leaks.LeftoverTopics)
	}
	if !slices.Equal(rep.OrphanedOffsets, running.Leaks.OrphanedOffsets) {
		t.Errorf("orphaned offsets: audit %v, running exporter %v", rep.OrphanedOffsets, running.Leaks.OrphanedOffsets)
	}
	if len(rep.Commands) == 0 {
		t.Error("audit gives no cleanup commands")
	}

	s := a.Poller.Snapshot()
	if s.Removed == nil {
		t.Fatal("no removal counts")
	}
	m, _, _ := Scrape(a.Handler)
	if v, _ := m.Value("rocketmq_exporter_series_removed_total", map[string]string{"kind": "topic"}); v < 19 {
		t.Errorf("series_removed_total{kind=topic} = %v, want >= 19", v)
	}
	if v, _ := m.Value("rocketmq_exporter_series_removed_total", map[string]string{"kind": "group"}); v < 19 {
		t.Errorf("series_removed_total{kind=group} = %v, want >= 19", v)
	}
}

// TestPausedBroker stops the broker (SIGSTOP) for less than the grace
// period, which must remove nothing, then for longer, after which its
// series go, and checks they come back after SIGCONT.
func TestPausedBroker(t *testing.T) {
	needBroker(t)
	if cluster.External {
		t.Skip("needs a broker this test may pause")
	}
	ctx := ctxT(t, 3*time.Minute)
	adm := newAdmin(t)
	topic := unique("pause-t")
	if err := adm.CreateTopic(ctx, cluster.BrokerAddr, admin.TopicConfig{TopicName: topic}); err != nil {
		t.Fatal(err)
	}
	a, _ := newApp(t, func(s *app.Settings) { s.Grace = 3; s.Timeout = 700 * time.Millisecond }, cluster.NamesrvAddr)
	served := func() (up float64, has bool) {
		a.Cycle(ctx)
		m, _, err := Scrape(a.Handler)
		if err != nil {
			t.Fatal(err)
		}
		up, _ = m.Value("rocketmq_up", map[string]string{"broker": cluster.BrokerName, "cluster": cluster.ClusterName})
		return up, len(m.Series("rocketmq_topic_info", map[string]string{"topic": topic})) == 1
	}
	if up, has := served(); up != 1 || !has {
		t.Fatalf("before the pause: up=%v topic served=%v", up, has)
	}
	if err := cluster.PauseBroker(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			cluster.ResumeBroker()
		}
	}()
	for i := 1; i <= 3; i++ { // within the grace period
		if up, has := served(); up != 0 || !has {
			t.Fatalf("paused cycle %d (within grace): up=%v topic served=%v, want 0 and kept", i, up, has)
		}
	}
	if _, has := served(); has { // past the grace period
		t.Fatal("paused past the grace period: the topic's series are still served")
	}
	if err := cluster.ResumeBroker(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	deadline := time.Now().Add(30 * time.Second)
	for {
		up, has := served()
		if up == 1 && has {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after SIGCONT: up=%v topic served=%v", up, has)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
