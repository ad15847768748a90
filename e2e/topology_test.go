package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// traffic keeps a producer sending to topic and a consumer of group
// consuming it until stop.
type traffic struct {
	cons *workload.Consumer
	stop func()
}

func startTraffic(t *testing.T, ctx context.Context, namesrv, topic, group string) *traffic {
	t.Helper()
	cons, err := workload.NewConsumer(namesrv, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := workload.NewProducer(namesrv, "PID_"+group)
	if err != nil {
		cons.Close()
		t.Fatal(err)
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case <-time.After(200 * time.Millisecond):
			}
			_ = prod.Send(ctx, topic, 5, []byte("replicate me")) // a send lost to a loaded machine does not matter here
		}
	}()
	var once sync.Once
	tr := &traffic{cons: cons, stop: func() {
		once.Do(func() { close(quit); <-done; prod.Close(); cons.Close() })
	}}
	t.Cleanup(tr.stop)
	return tr
}

// proc labels one broker process of c.
func proc(c *realbroker.Cluster, id int) map[string]string {
	return map[string]string{"cluster": c.ClusterName, "broker": c.BrokerName, "broker_id": strconv.Itoa(id)}
}

func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// served checks that family has exactly one series with labels.
func served(m Metrics, family string, labels map[string]string) error {
	n := len(m.Series(family, labels))
	if n != 1 {
		return fmt.Errorf("%s%v: %d series, want 1", family, labels, n)
	}
	return nil
}

// TestTopologyMasterSlave runs the exporter against a master and its slave
// under traffic. The brokers are the judges: the slave's own config says
// it is a slave, and the replication lag the exporter serves is what the
// master's HA service (GET_BROKER_HA_STATUS, 5.x) and both brokers' own
// commit-log offsets say, in sync and with the slave frozen. Killing the
// slave raises the documented signal; killing the master leaves the
// slave's series served.
func TestTopologyMasterSlave(t *testing.T) {
	// Parallel: it starts its own processes and spends most of its time
	// waiting (broker starts, alert windows), which other tests can fill.
	t.Parallel()
	needBroker(t)
	ctx := ctxT(t, 15*time.Minute)
	c, err := realbroker.Start(ctx, realbroker.Options{Slave: true, ClusterName: "HACluster", BrokerName: "broker-ha", Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	topic := unique("e2e-ha")
	group := "GID_" + topic
	if _, err := c.MQAdmin(ctx, "updateTopic", "-b", c.BrokerAddr, "-t", topic, "-r", "2", "-w", "2"); err != nil {
		t.Fatal(err)
	}
	tr := startTraffic(t, ctx, c.NamesrvAddr, topic, group)
	a, _ := newApp(t, func(s *app.Settings) { s.Compat = true }, c.NamesrvAddr) // rocketmq_producer_offset is checked too

	t.Run("roles, and entities once", func(t *testing.T) { haRoles(t, a, c, topic, group) })
	tr.stop()
	t.Run("in sync", func(t *testing.T) { haInSync(t, ctx, a, c) })
	t.Run("slave frozen", func(t *testing.T) { haFrozen(t, ctx, a, c, topic) })
	t.Run("slave killed", func(t *testing.T) { haSlaveKilled(t, ctx, a, c, topic) })
	t.Run("master killed", func(t *testing.T) { haMasterKilled(t, a, c) })
}

// haRoles: both processes are served with their role, the slave's own
// runtime series included, and the topic and group once for the broker
// name, from the master.
func haRoles(t *testing.T, a *app.App, c *realbroker.Cluster, topic, group string) {
	name := map[string]string{"cluster": c.ClusterName, "broker": c.BrokerName}
	waitMetrics(t, a, 2*time.Minute, "master and slave under traffic", func(m Metrics) error {
		return firstErr(
			expect(m, "rocketmq_up", proc(c, 0), 1),
			expect(m, "rocketmq_up", proc(c, 1), 1),
			expect(m, "rocketmq_broker_info", with(proc(c, 0), "role", "master", "addr", c.BrokerAddr), 1),
			expect(m, "rocketmq_broker_info", with(proc(c, 1), "role", "slave", "addr", c.SlaveAddr), 1),
			served(m, "rocketmq_broker_commitlog_max_offset_bytes", proc(c, 1)),
			served(m, "rocketmq_broker_replication_lag_bytes", proc(c, 1)),
			served(m, "rocketmq_topic_messages_put_total", with(name, "topic", topic)),
			served(m, "rocketmq_consumer_group_lag_messages", with(name, "topic", topic, "group", group)),
			served(m, "rocketmq_producer_offset", with(name, "topic", topic)),
			served(m, "rocketmq_broker_topics", with(name, "kind", "normal")),
			positive(m, "rocketmq_topic_messages_put_total", with(name, "topic", topic)),
		)
	})
	m, _, _ := Scrape(a.Handler)
	for _, f := range []string{"rocketmq_broker_topics", "rocketmq_broker_consumer_groups", "rocketmq_topic_messages_put_total"} {
		for _, s := range m.Series(f, nil) {
			for _, l := range s.Label {
				if l.GetName() == "broker_id" {
					t.Errorf("%s is per broker name but carries broker_id=%s", f, l.GetValue())
				}
			}
		}
	}
	if len(m.Series("rocketmq_broker_replication_lag_bytes", proc(c, 0))) != 0 {
		t.Error("the master has a replication lag series")
	}
}

// labelsOf and valueOf print a series in a log line.
func labelsOf(s *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range s.Label {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func valueOf(s *dto.Metric) float64 {
	switch {
	case s.Gauge != nil:
		return s.Gauge.GetValue()
	case s.Counter != nil:
		return s.Counter.GetValue()
	}
	return s.GetUntyped().GetValue()
}

func positive(m Metrics, family string, labels map[string]string) error {
	if v, ok := m.Value(family, labels); !ok || v <= 0 {
		return fmt.Errorf("%s%v = %v (%v), want > 0", family, labels, v, ok)
	}
	return nil
}

// brokerOffset is the broker's own commitLogMaxOffset.
func brokerOffset(ctx context.Context, c *realbroker.Cluster, addr string) (float64, error) {
	rt, err := c.RuntimeInfo(ctx, addr)
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(rt["commitLogMaxOffset"], 64)
}

// haDiff is the master HA service's diff for its one slave (5.x; ha false
// on 4.x, which has no GET_BROKER_HA_STATUS: the brokers' own offsets are
// the judge there). A 5.x master that does not list exactly one slave
// connection is an error: the check is asked again.
func haDiff(ctx context.Context, c *realbroker.Cluster) (diff float64, ha bool, err error) {
	st, err := c.HAStatus(ctx, c.BrokerAddr)
	if remoting.IsNotSupported(err) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("HA status: %w", err)
	}
	if !st.Master || len(st.Connections) != 1 {
		return 0, false, fmt.Errorf("the master's HA service lists %d slave connections (master %v)", len(st.Connections), st.Master)
	}
	return float64(st.Connections[0].Diff), true, nil
}

// haInSync: with the slave caught up (the master's HA service sees no
// diff, 5.x; both brokers report one offset, 4.x), the exporter serves a
// lag of 0 and each broker's own offset.
func haInSync(t *testing.T, ctx context.Context, a *app.App, c *realbroker.Cluster) {
	if err := c.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	waitMetrics(t, a, 2*time.Minute, "replication in sync", func(m Metrics) error {
		mo, err1 := brokerOffset(ctx, c, c.BrokerAddr)
		so, err2 := brokerOffset(ctx, c, c.SlaveAddr)
		diff, ha, err3 := haDiff(ctx, c)
		if err := firstErr(err1, err2, err3); err != nil {
			return err
		}
		if ha && diff != 0 {
			return fmt.Errorf("the master's HA service reports a diff of %v", diff)
		}
		return firstErr(
			expect(m, "rocketmq_broker_replication_lag_bytes", proc(c, 1), 0),
			expect(m, "rocketmq_broker_commitlog_max_offset_bytes", proc(c, 0), mo),
			expect(m, "rocketmq_broker_commitlog_max_offset_bytes", proc(c, 1), so),
		)
	})
}

// haFrozen: the slave stops (SIGSTOP) while the master takes more
// messages. The exporter serves the slave down, its last offset, and a lag
// of the master's offset minus that, which is the diff the master's HA
// service reports (5.x). Resumed, the slave catches up and the lag is 0.
func haFrozen(t *testing.T, ctx context.Context, a *app.App, c *realbroker.Cluster, topic string) {
	frozenAt, err := brokerOffset(ctx, c, c.SlaveAddr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PauseSlave(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			c.ResumeSlave()
		}
	}()
	if err := workload.Produce(ctx, c.NamesrvAddr, topic, 20); err != nil {
		t.Fatal(err)
	}
	var diffs []float64
	waitMetrics(t, a, 2*time.Minute, "lag of a frozen slave", func(m Metrics) error {
		mo, err := brokerOffset(ctx, c, c.BrokerAddr)
		if err != nil {
			return err
		}
		// The master drops a silent slave's HA connection after 20 s
		// (haHousekeepingInterval): then only the offsets judge.
		if diff, ha, err := haDiff(ctx, c); err == nil && ha {
			diffs = append(diffs, diff)
			if diff != mo-frozenAt {
				return fmt.Errorf("the master's HA service reports a diff of %v, the offsets %v", diff, mo-frozenAt)
			}
		}
		return firstErr(
			expect(m, "rocketmq_up", proc(c, 1), 0),
			expect(m, "rocketmq_broker_commitlog_max_offset_bytes", proc(c, 1), frozenAt),
			expect(m, "rocketmq_broker_replication_lag_bytes", proc(c, 1), mo-frozenAt),
			positive(m, "rocketmq_broker_replication_lag_bytes", proc(c, 1)),
		)
	})
	t.Logf("master HA diffs seen while the slave was frozen: %v", diffs)
	if len(diffs) == 0 && !strings.HasPrefix(c.Version, "4.") {
		t.Error("the master's HA service never listed the frozen slave to compare with")
	}
	resumed = true
	if err := c.ResumeSlave(); err != nil {
		t.Fatal(err)
	}
	haInSync(t, ctx, a, c)
}

// haSlaveKilled: a slave that dies first shows as one that does not answer
// (rocketmq_up 0: RocketMQBrokerDown), then, once the namesrv dropped it
// and the grace period passed, as a broker process gone
// (RocketMQBrokerCountDropped). The master and the topic stay. Started
// again, the slave is served again and catches up.
func haSlaveKilled(t *testing.T, ctx context.Context, a *app.App, c *realbroker.Cluster, topic string) {
	if err := c.KillSlave(); err != nil {
		t.Fatal(err)
	}
	name := map[string]string{"cluster": c.ClusterName, "broker": c.BrokerName}
	how := ""
	waitMetrics(t, a, 3*time.Minute, "the killed slave's signal", func(m Metrics) error {
		if err := firstErr(expect(m, "rocketmq_up", proc(c, 0), 1),
			served(m, "rocketmq_topic_messages_put_total", with(name, "topic", topic))); err != nil {
			return err
		}
		if len(m.Series("rocketmq_broker_info", proc(c, 1))) == 0 {
			how = "gone from rocketmq_broker_info (RocketMQBrokerCountDropped)"
			if n := len(m.Series("rocketmq_broker_replication_lag_bytes", proc(c, 1))); n != 0 {
				return fmt.Errorf("a slave that is gone still has a replication lag series")
			}
			return nil
		}
		if v, ok := m.Value("rocketmq_up", proc(c, 1)); ok && v == 0 {
			how = "rocketmq_up 0 (RocketMQBrokerDown)"
			return nil
		}
		return fmt.Errorf("the killed slave is still served as up")
	})
	t.Logf("the killed slave shows as %s", how)
	waitMetrics(t, a, 4*time.Minute, "the killed slave gone", func(m Metrics) error {
		if n := len(m.Series("rocketmq_broker_info", proc(c, 1))); n != 0 {
			return fmt.Errorf("the killed slave is still served")
		}
		return firstErr(expect(m, "rocketmq_up", proc(c, 0), 1),
			served(m, "rocketmq_topic_messages_put_total", with(name, "topic", topic)))
	})
	if err := c.StartSlave(ctx); err != nil {
		t.Fatal(err)
	}
	waitMetrics(t, a, 2*time.Minute, "the slave back", func(m Metrics) error {
		return firstErr(expect(m, "rocketmq_up", proc(c, 1), 1),
			expect(m, "rocketmq_broker_info", with(proc(c, 1), "role", "slave"), 1))
	})
	haInSync(t, ctx, a, c)
}

// haMasterKilled: with the master dead, the slave's own series stay: it is
// up, with its role and its runtime figures. The master's series are stale
// within the grace period, then gone; so are the broker name's topics and
// groups, which are read from masters only, and never served as 0 from the
// slave.
func haMasterKilled(t *testing.T, a *app.App, c *realbroker.Cluster) {
	if err := c.KillBroker(); err != nil {
		t.Fatal(err)
	}
	for range 8 { // past the grace period (3 cycles) of the master's carried data
		a.Cycle(context.Background())
	}
	m := waitMetrics(t, a, 3*time.Minute, "the slave's series with the master dead", func(m Metrics) error {
		if v, ok := m.Value("rocketmq_up", proc(c, 0)); ok && v != 0 {
			return fmt.Errorf("the killed master is served as up")
		}
		for _, f := range []string{"rocketmq_broker_topics", "rocketmq_broker_consumer_groups", "rocketmq_topic_messages_put_total"} {
			if n := len(m.Series(f, map[string]string{"cluster": c.ClusterName})); n != 0 {
				return fmt.Errorf("%s: %d series past the grace period with no master", f, n)
			}
		}
		return firstErr(expect(m, "rocketmq_up", proc(c, 1), 1),
			expect(m, "rocketmq_broker_info", with(proc(c, 1), "role", "slave", "addr", c.SlaveAddr), 1),
			served(m, "rocketmq_broker_commitlog_max_offset_bytes", proc(c, 1)))
	})
	for _, s := range m.Series("rocketmq_up", map[string]string{"cluster": c.ClusterName}) {
		t.Logf("master dead: rocketmq_up %v = %v", labelsOf(s), valueOf(s))
	}
}

// TestTopologyActingMaster: 5.x brokers with enableSlaveActingMaster. With
// the master dead the slave takes over the master's special services
// (its runtime info says brokerActive=true, the broker is the judge). The
// exporter still serves it as what the namesrv lists, broker_id 1 with
// role slave, up, with its own runtime figures; the broker name's topics
// and groups, which the exporter reads from masters only, are not served
// (not served as 0 either) until a master is back.
func TestTopologyActingMaster(t *testing.T) {
	// Parallel: it starts its own processes and spends most of its time
	// waiting (broker starts, alert windows), which other tests can fill.
	t.Parallel()
	needBroker(t)
	if strings.HasPrefix(cluster.Version, "4.") {
		t.Skip("enableSlaveActingMaster is 5.x only")
	}
	ctx := ctxT(t, 10*time.Minute)
	c, err := realbroker.Start(ctx, realbroker.Options{Slave: true, ClusterName: "ActingCluster", BrokerName: "broker-acting",
		BrokerConf: []string{"enableSlaveActingMaster=true"}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	topic := unique("e2e-acting")
	if _, err := c.MQAdmin(ctx, "updateTopic", "-b", c.BrokerAddr, "-t", topic); err != nil {
		t.Fatal(err)
	}
	if err := workload.Produce(ctx, c.NamesrvAddr, topic, 10); err != nil {
		t.Fatal(err)
	}
	a, _ := newApp(t, nil, c.NamesrvAddr)
	name := map[string]string{"cluster": c.ClusterName, "broker": c.BrokerName}
	waitMetrics(t, a, 2*time.Minute, "master and slave", func(m Metrics) error {
		return firstErr(expect(m, "rocketmq_up", proc(c, 1), 1), expect(m, "rocketmq_topic_messages_put_total", with(name, "topic", topic), 10))
	})
	if rt, err := c.RuntimeInfo(ctx, c.SlaveAddr); err != nil || rt["brokerActive"] != "false" {
		t.Fatalf("slave brokerActive = %q (%v) with its master up", rt["brokerActive"], err)
	}
	if err := c.KillBroker(); err != nil {
		t.Fatal(err)
	}
	m := waitMetrics(t, a, 3*time.Minute, "the acting slave", func(m Metrics) error {
		rt, err := c.RuntimeInfo(ctx, c.SlaveAddr)
		if err != nil || rt["brokerActive"] != "true" {
			return fmt.Errorf("slave brokerActive = %q (%v): not acting yet", rt["brokerActive"], err)
		}
		if n := len(m.Series("rocketmq_up", proc(c, 0))); n != 0 {
			return fmt.Errorf("the dead master is still listed")
		}
		for _, f := range []string{"rocketmq_broker_topics", "rocketmq_topic_messages_put_total"} {
			if n := len(m.Series(f, name)); n != 0 {
				return fmt.Errorf("%s: %d series of a name whose master is gone", f, n)
			}
		}
		return firstErr(expect(m, "rocketmq_up", proc(c, 1), 1),
			expect(m, "rocketmq_broker_info", with(proc(c, 1), "role", "slave"), 1),
			served(m, "rocketmq_broker_commitlog_max_offset_bytes", proc(c, 1)))
	})
	for _, s := range m.Series("rocketmq_broker_info", name) {
		t.Logf("acting: rocketmq_broker_info %v", labelsOf(s))
	}
}

// cycleRecord is what one published snapshot says about a target's
// namesrvs and one broker.
type cycleRecord struct {
	seq       uint64
	brokerUp  bool
	namesrvUp map[string]bool
}

// cycleLog records every snapshot the poller publishes.
type cycleLog struct {
	c  *realbroker.Cluster
	mu sync.Mutex
	rs []cycleRecord
}

func (l *cycleLog) add(s *snapshot.Snapshot) {
	r := cycleRecord{seq: s.Seq}
	if len(s.Targets) > 0 && s.Targets[0] != nil {
		r.namesrvUp = s.Targets[0].NamesrvUp
	}
	for _, b := range s.Brokers {
		if b != nil && b.Cluster == l.c.ClusterName && b.Name == l.c.BrokerName && b.ID == 0 {
			r.brokerUp = b.Up
		}
	}
	l.mu.Lock()
	l.rs = append(l.rs, r)
	l.mu.Unlock()
}

func (l *cycleLog) records() []cycleRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]cycleRecord(nil), l.rs...)
}

// waitFor waits until ok holds for the records, bounded by d.
func (l *cycleLog) waitFor(t *testing.T, d time.Duration, what string, ok func([]cycleRecord) bool) []cycleRecord {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		rs := l.records()
		if ok(rs) {
			return rs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; cycles: %+v", what, d, rs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// since counts the records after seq for which ok holds.
func since(rs []cycleRecord, seq uint64, ok func(cycleRecord) bool) int {
	n := 0
	for _, r := range rs {
		if r.seq > seq && ok(r) {
			n++
		}
	}
	return n
}

// logLines counts the log lines holding every one of parts.
func logLines(logs *lockedBuffer, parts ...string) int { return countLines(logs.String(), parts...) }

// waitScrape scrapes (the poller runs on its own) until check passes.
func waitScrape(t *testing.T, a *app.App, d time.Duration, what string, check func(Metrics) error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		m, _, err := Scrape(a.Handler)
		if err == nil {
			err = check(m)
		}
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestTopologyNamesrvFailover: three namesrvs, the broker registered with
// each; the first is killed while the poller runs. Every cycle after the
// one in flight still has the broker up, rocketmq_namesrv_up is 0 for that
// address only, and the log names it once however many cycles pass.
// Restarted, the namesrv answers again, which the log says once.
func TestTopologyNamesrvFailover(t *testing.T) {
	// Parallel: it starts its own processes and spends most of its time
	// waiting (broker starts, alert windows), which other tests can fill.
	t.Parallel()
	needBroker(t)
	ctx := ctxT(t, 10*time.Minute)
	c, err := realbroker.Start(ctx, realbroker.Options{Namesrvs: 3, ClusterName: "NSCluster", BrokerName: "broker-ns", Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	a, logs := newApp(t, func(s *app.Settings) { s.Interval = time.Second }, c.NamesrvAddr)
	rec := &cycleLog{c: c}
	a.Poller.Subscribe(rec.add)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { a.Poller.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()

	dead, alive := c.NamesrvAddrs[0], c.NamesrvAddrs[1:]
	rs := rec.waitFor(t, 2*time.Minute, "cycles with every namesrv and the broker up", func(rs []cycleRecord) bool {
		return since(rs, 0, func(r cycleRecord) bool { return r.brokerUp && r.namesrvUp[dead] }) >= 2
	})
	killedAfter := rs[len(rs)-1].seq // the cycle in flight at the kill is killedAfter+1
	if err := c.KillNamesrv(0); err != nil {
		t.Fatal(err)
	}
	rs = rec.waitFor(t, 2*time.Minute, "cycles after the kill", func(rs []cycleRecord) bool {
		return since(rs, killedAfter+1, func(cycleRecord) bool { return true }) >= 6
	})
	for _, r := range rs {
		if r.seq > killedAfter+1 && (!r.brokerUp || r.namesrvUp[dead] || !r.namesrvUp[alive[0]] || !r.namesrvUp[alive[1]]) {
			t.Errorf("cycle %d after the kill: broker up %v, namesrvs %v", r.seq, r.brokerUp, r.namesrvUp)
		}
	}
	waitScrape(t, a, time.Minute, "namesrv states", func(m Metrics) error {
		return firstErr(expect(m, "rocketmq_namesrv_up", map[string]string{"namesrv": dead}, 0),
			expect(m, "rocketmq_namesrv_up", map[string]string{"namesrv": alive[0]}, 1),
			expect(m, "rocketmq_namesrv_up", map[string]string{"namesrv": alive[1]}, 1),
			expect(m, "rocketmq_up", proc(c, 0), 1))
	})
	if n := logLines(logs, "namesrv stopped answering", "namesrv="+dead+" "); n != 1 {
		t.Errorf("%d log lines say %s stopped answering, want 1:\n%s", n, dead, logs)
	}
	if n := logLines(logs, "namesrv stopped answering"); n != 1 {
		t.Errorf("%d log lines say a namesrv stopped answering, want 1", n)
	}

	if err := c.StartNamesrv(ctx, 0); err != nil {
		t.Fatal(err)
	}
	back := rs[len(rs)-1].seq
	rec.waitFor(t, 2*time.Minute, "the namesrv answers again", func(rs []cycleRecord) bool {
		return since(rs, back, func(r cycleRecord) bool { return r.namesrvUp[dead] && r.brokerUp }) >= 3
	})
	waitScrape(t, a, time.Minute, "the namesrv up again", func(m Metrics) error {
		return expect(m, "rocketmq_namesrv_up", map[string]string{"namesrv": dead}, 1)
	})
	if n := logLines(logs, "namesrv answers again", "namesrv="+dead+" "); n != 1 {
		t.Errorf("%d log lines say %s answers again, want 1:\n%s", n, dead, logs)
	}
	for _, r := range rec.records() {
		if r.seq == killedAfter+1 {
			t.Logf("the cycle in flight at the kill (%d): broker up %v, namesrvs %v", r.seq, r.brokerUp, r.namesrvUp)
		}
	}
}
