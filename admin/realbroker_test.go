package admin_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/runtimeinfo"
)

var (
	cluster *realbroker.Cluster
	rec     = &recorder{bodies: map[string][]byte{}}
	adm     *brokeradmin.Client
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() || os.Getenv("ROCKETMQ_SKIP_REAL") != "" {
		os.Exit(m.Run())
	}
	os.Exit(realbroker.Main(m, realbroker.Options{}, func(c *realbroker.Cluster) {
		cluster = c
		adm = brokeradmin.New(remoting.NewClient(remoting.Options{Tap: rec.tap}))
	}))
}

func needBroker(t *testing.T) {
	t.Helper()
	if cluster == nil {
		t.Skip("no real broker (short mode or ROCKETMQ_SKIP_REAL)")
	}
}

// recorder keeps the last body of each request code and response code (the
// last stats read is the one that saw the traffic), so a run
// with ROCKETMQ_RECORD=1 refreshes the golden fixtures of its version.
type recorder struct {
	mu     sync.Mutex
	bodies map[string][]byte
}

func (r *recorder) tap(_ string, req, resp *remoting.Command) {
	name := remoting.RequestName(req.Code)
	if resp.Code != remoting.CodeSuccess {
		name += "." + remoting.CodeName(resp.Code)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(resp.Body) > 0 {
		r.bodies[name] = resp.Body
	}
}

func (r *recorder) save(t *testing.T) {
	if os.Getenv("ROCKETMQ_RECORD") == "" {
		return
	}
	dir := filepath.Join("..", "testdata", "fixtures", cluster.Version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, body := range r.bodies {
		if err := os.WriteFile(filepath.Join(dir, name+".json"), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("recorded %d bodies into %s", len(r.bodies), dir)
}

func isV4(version string) bool { return strings.HasPrefix(version, "4.") }

// atLeast reports whether version is major.minor or later.
func atLeast(version string, major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(version, "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// eventually retries f until it succeeds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func TestClusterInfoListsBroker(t *testing.T) {
	needBroker(t)
	ci, err := adm.ClusterInfo(ctxT(t, 10*time.Second), cluster.NamesrvAddr)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, b := range ci.Instances() {
		if b.Addr == cluster.BrokerAddr && b.IsMaster() && b.BrokerName == cluster.BrokerName && b.Cluster == cluster.ClusterName {
			found = true
		}
	}
	if !found {
		t.Fatalf("cluster info %+v does not list master %s", ci.Instances(), cluster.BrokerAddr)
	}
}

func TestRuntimeInfoAndConfig(t *testing.T) {
	needBroker(t)
	ctx := ctxT(t, 20*time.Second)
	ri, err := adm.BrokerRuntime(ctx, cluster.BrokerAddr)
	if err != nil {
		t.Fatal(err)
	}
	kv := ri.Table
	info := runtimeinfo.Parse(kv)
	// The keys that come and go between the versions this project supports.
	v4 := isV4(cluster.Version)
	for key, want := range map[string]bool{
		"getTransferedTps":  v4,                              // 4.x spelling
		"getTransferredTps": !v4,                             // 5.x spelling
		"brokerActive":      !v4,                             // 5.x only
		"timerReadBehind":   !v4,                             // 5.x timer wheel
		"brokerVersion":     !atLeast(cluster.Version, 5, 4), // dropped in 5.4.0
	} {
		if _, has := kv[key]; has != want {
			t.Errorf("RocketMQ %s: runtime key %s present = %v, want %v", cluster.Version, key, has, want)
		}
	}
	// The header's version code stands in for the dropped brokerVersion key.
	if ri.VersionCode < 400 {
		t.Errorf("version code %d from the response header", ri.VersionCode)
	}
	if bv, ok := kv["brokerVersion"]; ok && bv != fmt.Sprint(ri.VersionCode) {
		t.Errorf("brokerVersion key %s, header version %d", bv, ri.VersionCode)
	}
	if v, ok := info.Value("bootTimestamp"); !ok || v < 1e12 {
		t.Errorf("bootTimestamp = %v, %v", v, ok)
	}
	if _, ok := info.Value("commitLogMaxOffset"); !ok {
		t.Error("no commitLogMaxOffset")
	}
	if want := "V" + strings.ReplaceAll(cluster.Version, ".", "_"); info.Strings["brokerVersionDesc"] != want {
		t.Errorf("brokerVersionDesc = %q, want %q", info.Strings["brokerVersionDesc"], want)
	}
	if _, ok := info.TPS["putTps"]; !ok {
		t.Error("putTps not parsed as three windows")
	}
	cfg, err := adm.BrokerConfig(ctx, cluster.BrokerAddr)
	if err != nil {
		t.Fatal(err)
	}
	if cfg["brokerClusterName"] != cluster.ClusterName || cfg["brokerName"] != cluster.BrokerName {
		t.Errorf("broker config names %q/%q", cfg["brokerClusterName"], cfg["brokerName"])
	}
	if _, err := adm.AllDelayOffsets(ctx, cluster.BrokerAddr); err != nil {
		t.Errorf("delay offsets: %v", err)
	}
}

// TestTopicAndGroupLifecycle is the end-to-end walk of issue #3: create,
// produce N, consume M, check every stats call, delete, check it is gone.
func TestTopicAndGroupLifecycle(t *testing.T) {
	needBroker(t)
	ctx := ctxT(t, 4*time.Minute)
	const N, M = 30, 12
	topic := fmt.Sprintf("e2e-admin_%d", time.Now().UnixNano()%1e6)
	group := "GID_" + topic
	b, ns := cluster.BrokerAddr, cluster.NamesrvAddr

	if err := adm.CreateTopic(ctx, b, admin.TopicConfig{TopicName: topic, ReadQueueNums: 2}); err != nil {
		t.Fatal(err)
	}
	if err := adm.CreateSubscriptionGroup(ctx, b, brokeradmin.NewGroupConfig(group)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "route in namesrv", func() error {
		rd, err := adm.TopicRoute(ctx, ns, topic)
		if err != nil {
			return err
		}
		if len(rd.QueueDatas) != 1 || rd.QueueDatas[0].ReadQueueNums != 2 {
			return fmt.Errorf("queue data %+v", rd.QueueDatas)
		}
		return nil
	})
	tc, err := adm.AllTopicConfig(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := tc.TopicConfigTable[topic]; got.WriteQueueNums != 2 || got.Perm != 6 {
		t.Fatalf("topic config %+v", got)
	}
	groups, err := adm.AllSubscriptionGroups(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := groups.SubscriptionGroupTable[group]; !ok {
		t.Fatalf("group %s not in subscription config", group)
	}

	// M messages, all consumed; then N-M more nobody consumes.
	prod, err := workload.NewProducer(ns, "PID_"+topic)
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	if err := prod.Send(ctx, topic, M, []byte("m")); err != nil {
		t.Fatal(err)
	}
	cons, err := workload.NewConsumer(ns, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	if err := cons.WaitFor(ctx, M); err != nil {
		t.Fatal(err)
	}
	// While the consumer is online: connections, running info, producers.
	var clientID string
	eventually(t, 30*time.Second, "consumer connection", func() error {
		cc, err := adm.ConsumerConnections(ctx, b, group)
		if err != nil {
			return err
		}
		if len(cc.ConnectionSet) != 1 || cc.MessageModel != "CLUSTERING" {
			return fmt.Errorf("connections %+v model %s", cc.ConnectionSet, cc.MessageModel)
		}
		clientID = cc.ConnectionSet[0].ClientID
		return nil
	})
	// The broker forwards the call to the client: rocketmq-client-go
	// answers it on every version recorded under testdata/fixtures.
	eventually(t, 30*time.Second, "consumer running info", func() error {
		info, err := adm.ConsumerRunningInfo(ctx, b, group, clientID)
		if err == nil && len(info.Properties) == 0 && len(info.StatusTable) == 0 {
			err = fmt.Errorf("empty running info %+v", info)
		}
		return err
	})
	// The Go producer registers with its first heartbeat (every 30 s).
	eventually(t, 45*time.Second, "producer table", func() error {
		pt, err := adm.AllProducerInfo(ctx, b)
		if err != nil {
			return err
		}
		if len(pt.Data["PID_"+topic]) != 1 {
			return fmt.Errorf("producer table %+v lacks PID_%s", pt.Data, topic)
		}
		return nil
	})
	if err := cons.Close(); err != nil {
		t.Fatal(err)
	}
	if err := prod.Send(ctx, topic, N-M, []byte("n")); err != nil {
		t.Fatal(err)
	}

	eventually(t, 30*time.Second, "topic stats", func() error {
		ts, err := adm.TopicStats(ctx, b, topic)
		if err != nil {
			return err
		}
		var sum int64
		for _, q := range ts.Queues {
			sum += q.MaxOffset
		}
		if sum != N || len(ts.Queues) != 2 {
			return fmt.Errorf("sum of max offsets %d over %d queues, want %d over 2", sum, len(ts.Queues), N)
		}
		if ts.HasTopicPutTps == isV4(cluster.Version) {
			return fmt.Errorf("RocketMQ %s: topicPutTps sent = %v", cluster.Version, ts.HasTopicPutTps)
		}
		return nil
	})
	// QUERY_TOPICS_BY_CONSUMER came with 5.0: 4.x must refuse it as unknown.
	byConsumer, err := adm.TopicsByConsumer(ctx, b, group)
	if isV4(cluster.Version) {
		if !remoting.IsNotSupported(err) || !strings.Contains(fmt.Sprint(err), "not supported by this broker version") {
			t.Errorf("RocketMQ %s: topics by consumer: %v, want REQUEST_CODE_NOT_SUPPORTED", cluster.Version, err)
		}
	} else if err != nil || !slices.Contains(byConsumer, topic) {
		t.Errorf("topics by consumer %v %v, want %s", byConsumer, err, topic)
	}
	eventually(t, 30*time.Second, "consume stats", func() error {
		cs, err := adm.ConsumeStats(ctx, b, group, topic)
		if err != nil {
			return err
		}
		var lag int64
		for _, q := range cs.Queues {
			lag += q.Lag()
		}
		if lag != N-M {
			return fmt.Errorf("lag %d, want %d (%+v)", lag, N-M, cs.Queues)
		}
		return nil
	})
	bcs, err := adm.BrokerConsumeStats(ctx, b, false)
	if err != nil {
		t.Fatal(err)
	}
	var bLag int64
	for _, g := range bcs.Groups {
		if g.Group != group {
			continue
		}
		for _, st := range g.Stats {
			for _, q := range st.Queues {
				if q.Topic == topic {
					bLag += q.Lag()
				}
			}
		}
	}
	if bLag != N-M {
		t.Errorf("broker consume stats lag %d, want %d", bLag, N-M)
	}
	who, err := adm.QueryTopicConsumeByWho(ctx, b, topic)
	if err != nil || !slices.Contains(who, group) {
		t.Errorf("consume-by-who %v %v", who, err)
	}
	spans, err := adm.QueryConsumeTimeSpan(ctx, b, topic, group)
	if err != nil {
		t.Fatal(err)
	}
	lagging := 0
	for _, s := range spans {
		if s.DelayTime > 0 {
			lagging++
			if s.MessageQueue.Topic != topic {
				t.Errorf("span for %q", s.MessageQueue.Topic)
			}
		}
	}
	if lagging == 0 {
		t.Errorf("no queue reports a delay: %+v", spans)
	}
	offsets, err := adm.AllConsumerOffsets(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(offsets.Entries, func(e admin.ConsumerOffsetEntry) bool { return e.Topic == topic && e.Group == group }) {
		t.Errorf("no offsets for %s@%s", topic, group)
	}
	// Stats are sampled every 10 s: the minute window shows the puts soon.
	eventually(t, 45*time.Second, "TOPIC_PUT_NUMS", func() error {
		d, err := adm.ViewBrokerStatsData(ctx, b, "TOPIC_PUT_NUMS", topic)
		if err != nil {
			return err
		}
		if d.StatsMinute.Sum != N && d.StatsHour.Sum != N {
			return fmt.Errorf("minute sum %d, hour sum %d, want %d", d.StatsMinute.Sum, d.StatsHour.Sum, N)
		}
		return nil
	})
	if _, err := adm.ViewBrokerStatsData(ctx, b, "TOPIC_PUT_NUMS", topic+"-never"); !admin.IsStatsNotExist(err) {
		t.Errorf("missing stat item: got %v, want 'not exist'", err)
	}

	// Delete, then every listing forgets them.
	if err := adm.DeleteTopicInBroker(ctx, b, topic); err != nil {
		t.Fatal(err)
	}
	if err := adm.DeleteTopicInNamesrv(ctx, ns, topic, ""); err != nil {
		t.Fatal(err)
	}
	if err := adm.DeleteSubscriptionGroup(ctx, b, group, true); err != nil {
		t.Fatal(err)
	}
	tc, err = adm.AllTopicConfig(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tc.TopicConfigTable[topic]; ok {
		t.Error("topic still in topic config")
	}
	groups, err = adm.AllSubscriptionGroups(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := groups.SubscriptionGroupTable[group]; ok {
		t.Error("group still in subscription config")
	}
	all, err := adm.AllTopicList(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(all, topic) {
		t.Error("topic still in namesrv topic list")
	}
	if _, err := adm.TopicRoute(ctx, ns, topic); remoting.ResponseCode(err) != remoting.CodeTopicNotExist {
		t.Errorf("route after delete: %v, want TOPIC_NOT_EXIST", err)
	}
	rec.save(t)
}
