package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/audit"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// groupListings is what each broker listing the exporter could build
// consumer groups from says, in one moment.
type groupListings struct {
	config    []string            // GET_ALL_SUBSCRIPTIONGROUP_CONFIG
	consume   map[string][]string // GET_BROKER_CONSUME_STATS: group -> topics
	online    map[string]int      // GET_CONSUMER_CONNECTION_LIST per config group: connections
	producers []string            // GET_ALL_PRODUCER_INFO
	offsets   map[string][]string // GET_ALL_CONSUMER_OFFSET: group -> topics
	byWho     map[string][]string // QUERY_TOPIC_CONSUME_BY_WHO: topic -> groups
	topics    []string            // GET_ALL_TOPIC_CONFIG
}

func (l groupListings) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "config: %v\n", l.config)
	fmt.Fprintf(&b, "broker consume stats: %v\n", l.consume)
	fmt.Fprintf(&b, "online: %v\n", l.online)
	fmt.Fprintf(&b, "producers: %v\n", l.producers)
	fmt.Fprintf(&b, "offsets: %v\n", l.offsets)
	fmt.Fprintf(&b, "consume by who: %v\n", l.byWho)
	fmt.Fprintf(&b, "topics: %v\n", l.topics)
	return b.String()
}

// readListings asks c's broker every listing, and QUERY_TOPIC_CONSUME_BY_WHO
// for each of topics.
func readListings(t *testing.T, ctx context.Context, adm *brokeradmin.Client, c *realbroker.Cluster, topics ...string) groupListings {
	t.Helper()
	b := c.BrokerAddr
	l := groupListings{consume: map[string][]string{}, online: map[string]int{}, offsets: map[string][]string{}, byWho: map[string][]string{}}
	sg, err := adm.AllSubscriptionGroups(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for g := range sg.SubscriptionGroupTable {
		l.config = append(l.config, g)
		cc, err := adm.ConsumerConnections(ctx, b, g)
		switch {
		case err == nil:
			l.online[g] = len(cc.ConnectionSet)
		case remoting.ResponseCode(err) != remoting.CodeConsumerNotOnline:
			t.Fatalf("connections of %s: %v", g, err)
		}
	}
	sort.Strings(l.config)
	bcs, err := adm.BrokerConsumeStats(ctx, b, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range bcs.Groups {
		l.consume[g.Group] = []string{}
		for _, st := range g.Stats {
			if len(st.Queues) > 0 {
				l.consume[g.Group] = append(l.consume[g.Group], st.Queues[0].Topic)
			}
		}
		sort.Strings(l.consume[g.Group])
	}
	pt, err := adm.AllProducerInfo(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for g := range pt.Data {
		l.producers = append(l.producers, g)
	}
	sort.Strings(l.producers)
	offs, err := adm.AllConsumerOffsets(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range offs.Entries {
		l.offsets[e.Group] = append(l.offsets[e.Group], e.Topic)
	}
	tc, err := adm.AllTopicConfig(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for name := range tc.TopicConfigTable {
		l.topics = append(l.topics, name)
	}
	sort.Strings(l.topics)
	for _, topic := range topics {
		who, err := adm.QueryTopicConsumeByWho(ctx, b, topic)
		if err != nil {
			t.Fatalf("consume by who %s: %v", topic, err)
		}
		l.byWho[topic] = who
	}
	return l
}

// popCode is RocketMQ 5's POP_MESSAGE request.
const popCode = 200050

// popOnce pops up to n messages of topic for group without acknowledging
// them, as a POP consumer (rocketmq-clients, the proxy) does; the broker
// revives what is not acknowledged within invisible into the group's POP
// retry topic. 4.x answers REQUEST_CODE_NOT_SUPPORTED.
func popOnce(ctx context.Context, rc *remoting.Client, broker, group, topic string, n int, invisible time.Duration) (*remoting.Command, error) {
	now := time.Now().UnixMilli()
	ext := map[string]string{
		"consumerGroup": group, "topic": topic, "queueId": "-1", "maxMsgNums": strconv.Itoa(n),
		"invisibleTime": strconv.FormatInt(invisible.Milliseconds(), 10), "pollTime": "1000",
		"bornTime": strconv.FormatInt(now, 10), "initMode": "0", "expType": "TAG", "exp": "*",
	}
	return rc.Call(ctx, broker, popCode, ext, nil)
}

// txListener commits every transaction after the broker asked back once,
// so the broker's transaction check runs.
type txListener struct{ checked atomic.Int64 }

func (l *txListener) ExecuteLocalTransaction(*primitive.Message) primitive.LocalTransactionState {
	return primitive.UnkonwnState
}

func (l *txListener) CheckLocalTransaction(*primitive.MessageExt) primitive.LocalTransactionState {
	l.checked.Add(1)
	return primitive.CommitMessageState
}

// sendTransactional sends n half messages in producer group group; the
// broker's check commits them.
func sendTransactional(ctx context.Context, namesrv, group, topic string, n int) (*txListener, func(), error) {
	l := &txListener{}
	p, err := rocketmq.NewTransactionProducer(l, producer.WithNameServer([]string{namesrv}), producer.WithGroupName(group),
		producer.WithInstanceName(fmt.Sprintf("tx-%d", time.Now().UnixNano())), producer.WithRetry(2))
	if err != nil {
		return nil, nil, err
	}
	if err := p.Start(); err != nil {
		return nil, nil, err
	}
	for i := 0; i < n; i++ {
		if _, err := p.SendMessageInTransaction(ctx, primitive.NewMessage(topic, []byte("tx"))); err != nil {
			p.Shutdown()
			return nil, nil, err
		}
	}
	return l, func() { p.Shutdown() }, nil
}

// TestOnlyConsumerGroupsServed drives every kind of client the broker
// knows (producers, a push consumer, one whose messages go to its DLQ, a
// POP consumer on 5.x, a transactional producer) on a fresh broker, then
// checks that every group the exporter serves is one of the applications'
// groups in the broker's subscription config: never a topic, a producer
// group, a retry topic or a group the broker keeps for itself; and that
// the broker's own offsets are not reported as leftovers. The broker's own
// groups are the ones its config holds before any client came.
// GROUPS_MATRIX=1 runs every supported version; ROCKETMQ_RECORD=1 records
// the listings into testdata/fixtures/<version>/groups.
func TestOnlyConsumerGroupsServed(t *testing.T) {
	needBroker(t)
	versions := []string{cluster.Version}
	if os.Getenv("GROUPS_MATRIX") != "" {
		versions = realbroker.SupportedVersions
	}
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			ctx := ctxT(t, 6*time.Minute)
			// A quick transaction check: the broker commits its own
			// offsets on the half topic when the check runs.
			c, err := realbroker.Start(ctx, realbroker.Options{Version: v, BrokerConf: []string{"transactionCheckInterval=3000"}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Stop()
			groupsScenario(t, ctx, c)
		})
	}
}

// groupTraffic is what groupsScenario started.
type groupTraffic struct {
	topic, push, fail, pop string
	producers              []string
	tx                     *txListener
	closers                []func()
}

func (g *groupTraffic) close() {
	for i := len(g.closers) - 1; i >= 0; i-- {
		g.closers[i]()
	}
}

// startGroupTraffic produces to a new topic and consumes it in every way
// the broker knows.
func startGroupTraffic(t *testing.T, ctx context.Context, adm *brokeradmin.Client, c *realbroker.Cluster) *groupTraffic {
	t.Helper()
	topic := unique("grp-t")
	g := &groupTraffic{topic: topic, push: "GID_" + topic + "-push", fail: "GID_" + topic + "-fail", pop: "GID_" + topic + "-pop"}
	g.producers = []string{"PID_" + topic, "PID_" + topic + "-tx"}
	if err := adm.CreateTopic(ctx, c.BrokerAddr, admin.TopicConfig{TopicName: topic, ReadQueueNums: 2}); err != nil {
		t.Fatal(err)
	}
	if err := adm.WaitRoute(ctx, c.NamesrvAddr, topic); err != nil {
		t.Fatal(err)
	}
	prod, err := workload.NewProducer(c.NamesrvAddr, g.producers[0])
	if err != nil {
		t.Fatal(err)
	}
	g.closers = append(g.closers, func() { prod.Close() })
	if err := prod.Send(ctx, topic, 6, []byte("m")); err != nil {
		t.Fatal(err)
	}
	for _, cons := range []struct {
		group string
		start func(string, string, string) (*workload.Consumer, error)
	}{{g.push, workload.NewConsumer}, {g.fail, workload.NewFailingConsumer}} {
		wc, err := cons.start(c.NamesrvAddr, cons.group, topic)
		if err != nil {
			t.Fatal(err)
		}
		g.closers = append(g.closers, func() { wc.Close() })
	}
	if !strings.HasPrefix(c.Version, "4.") {
		// Unacknowledged, the popped messages are revived into the group's
		// POP retry topic, and the broker's revive service commits its own
		// offsets.
		if _, err := popOnce(ctx, adm.Remoting(), c.BrokerAddr, g.pop, topic, 8, 10*time.Second); err != nil {
			t.Fatalf("POP: %v", err)
		}
	}
	tl, stop, err := sendTransactional(ctx, c.NamesrvAddr, g.producers[1], topic, 2)
	if err != nil {
		t.Fatalf("transactional producer: %v", err)
	}
	g.tx = tl
	g.closers = append(g.closers, stop)
	return g
}

// settled reports whether the broker shows every effect of the traffic:
// the DLQ filled, the transaction check ran and committed the broker's
// own offsets, and on 5.x the POP messages were revived.
func (g *groupTraffic) settled(l groupListings, version string) bool {
	_, dlq := slices.BinarySearch(l.topics, snapshot.DLQPrefix+g.fail)
	revived := strings.HasPrefix(version, "4.") ||
		(slices.ContainsFunc(l.topics, func(s string) bool { return strings.HasPrefix(s, snapshot.RetryPrefix+g.pop) }) &&
			len(l.offsets["CID_RMQ_SYS_REVIVE_GROUP"]) > 0)
	return dlq && revived && g.tx.checked.Load() > 0 && len(l.offsets["CID_RMQ_SYS_TRANS"]) > 0
}

func groupsScenario(t *testing.T, ctx context.Context, c *realbroker.Cluster) {
	adm := newAdmin(t)
	own := readListings(t, ctx, adm, c).config // before any client: the broker's own groups
	g := startGroupTraffic(t, ctx, adm, c)
	defer g.close()
	deadline := time.Now().Add(2 * time.Minute)
	for !g.settled(readListings(t, ctx, adm, c), c.Version) {
		if time.Now().After(deadline) {
			t.Fatalf("the traffic's effects did not show:\n%s", readListings(t, ctx, adm, c))
		}
		time.Sleep(2 * time.Second)
	}
	l := recordListings(t, ctx, c, g.topic, snapshot.RetryPrefix+g.push)
	t.Logf("RocketMQ %s, the broker's own groups %v; with the traffic:\n%s", c.Version, own, l)

	a, _ := newApp(t, nil, c.NamesrvAddr)
	m := waitMetrics(t, a, time.Minute, "push consumer online", func(m Metrics) error {
		return expect(m, "rocketmq_consumer_group_online_consumers", map[string]string{"group": g.push}, 1)
	})
	business := slices.DeleteFunc(slices.Clone(l.config), func(s string) bool { return slices.Contains(own, s) })
	checkGroupKinds(t, m, len(own), len(business))
	checkGroupLabels(t, m, business, l.producers)
	checkNoLeftovers(t, ctx, m, a)
}

// checkGroupKinds: the count family counts the broker's own groups and
// the applications' apart.
func checkGroupKinds(t *testing.T, m Metrics, system, business int) {
	t.Helper()
	for kind, want := range map[string]int{"system": system, "business": business} {
		if err := expect(m, "rocketmq_broker_consumer_groups", map[string]string{"kind": kind}, float64(want)); err != nil {
			t.Error(err)
		}
	}
}

// checkGroupLabels: every group label names a group of the applications
// in the broker's config, or in the producer families a producer group the
// broker lists.
func checkGroupLabels(t *testing.T, m Metrics, business, producers []string) {
	t.Helper()
	for name, mf := range m {
		allowed := business
		if strings.HasPrefix(name, "rocketmq_producer_") {
			allowed = producers
		}
		for _, s := range mf.Metric {
			for _, lp := range s.Label {
				if lp.GetName() == "group" && !slices.Contains(allowed, lp.GetValue()) {
					t.Errorf("%s serves group %q, which is not among %v", name, lp.GetValue(), allowed)
				}
			}
		}
	}
}

// checkNoLeftovers: nothing was deleted, so nothing is left over, neither
// in the families nor in an audit.
func checkNoLeftovers(t *testing.T, ctx context.Context, m Metrics, a *app.App) {
	t.Helper()
	if err := expect(m, "rocketmq_broker_orphaned_consumer_offsets", nil, 0); err != nil {
		t.Error(err)
	}
	for _, s := range m.Series("rocketmq_broker_leftover_topics", nil) {
		if v := s.GetGauge().GetValue(); v != 0 {
			t.Errorf("rocketmq_broker_leftover_topics%v = %v, want 0", s.Label, v)
		}
	}
	reports, code := audit.Run(ctx, a.Core, a.Poller.Snapshot())
	if code != audit.Clean {
		t.Errorf("audit exit code %d, want %d (clean)", code, audit.Clean)
	}
	for _, r := range reports {
		if len(r.OrphanedOffsets)+len(r.LeftoverTopics)+len(r.Commands) > 0 {
			t.Errorf("audit of %s: orphaned offsets %v, leftover topics %v, commands %q", r.Broker, r.OrphanedOffsets, r.LeftoverTopics, r.Commands)
		}
	}
}

// recordListings reads the listings once more with a client that keeps
// every answer, and with ROCKETMQ_RECORD=1 writes them as the fixtures of
// testdata/fixtures/<version>/groups.
func recordListings(t *testing.T, ctx context.Context, c *realbroker.Cluster, topics ...string) groupListings {
	t.Helper()
	bodies := map[string][]byte{}
	var mu sync.Mutex
	tap := func(_ string, req, resp *remoting.Command) {
		if resp.Code == remoting.CodeSuccess && req.Code != remoting.GetConsumerConnectionList {
			mu.Lock()
			bodies[remoting.RequestName(req.Code)] = resp.Body
			mu.Unlock()
		}
	}
	adm := brokeradmin.New(remoting.NewClient(remoting.Options{Tap: tap}))
	defer adm.Remoting().Close()
	byWho := map[string][]string{}
	for _, topic := range topics[1:] {
		who, err := adm.QueryTopicConsumeByWho(ctx, c.BrokerAddr, topic)
		if err != nil {
			t.Fatal(err)
		}
		byWho[topic] = who
	}
	l := readListings(t, ctx, adm, c, topics[0]) // asked last: the recorded QUERY_TOPIC_CONSUME_BY_WHO is the topic's
	maps.Copy(l.byWho, byWho)
	if os.Getenv("ROCKETMQ_RECORD") == "" {
		return l
	}
	dir := filepath.Join("..", "testdata", "fixtures", c.Version, "groups")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for name, body := range bodies {
		if err := os.WriteFile(filepath.Join(dir, name+".json"), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return l
}
