package poller_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/poller"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// logBuffer collects a poller's log lines; the poller logs from goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// count counts the lines that hold every one of parts.
func (l *logBuffer) count(parts ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
next:
	for _, line := range strings.Split(l.buf.String(), "\n") {
		for _, p := range parts {
			if !strings.Contains(line, p) {
				continue next
			}
		}
		n++
	}
	return n
}

func debugLogger(l *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// stageOf finds a stage of b; ok is false when it was not attempted.
func stageOf(b *snapshot.Broker, name string) (snapshot.Stage, bool) {
	for _, st := range b.Stages {
		if st.Name == name {
			return st, true
		}
	}
	return snapshot.Stage{}, false
}

// brokerNamed finds the process of broker group name with id.
func brokerNamed(t *testing.T, s *snapshot.Snapshot, name string, id int64) *snapshot.Broker {
	t.Helper()
	for _, b := range s.Brokers {
		if b.Name == name && b.ID == id {
			return b
		}
	}
	t.Fatalf("cycle %d: no broker %s id %d", s.Seq, name, id)
	return nil
}

// topicStatsAsked counts the GET_TOPIC_STATS_INFO requests srv has
// received: the simulator's count is the judge of what the poller asked.
func topicStatsAsked(srv *simbroker.Server) int64 {
	return srv.CallsByCode()[remoting.GetTopicStatsInfo]
}

// cycle runs one cycle after a tick of traffic, so the brokers' stores
// move and their topic offsets are asked again.
func cycle(c *simbroker.Cluster, p *poller.Poller) *snapshot.Snapshot {
	c.Tick()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return p.Cycle(ctx)
}

// clean fails the test for any failure, cut or error in b's stages.
func clean(t *testing.T, when string, b *snapshot.Broker, except string) {
	t.Helper()
	for _, st := range b.Stages {
		if st.Name != except && (st.Failed != 0 || st.Cut != 0 || st.LastErr != "" || st.FailedTotal != 0) {
			t.Errorf("%s: %s stage %s: %+v, want no failure", when, b.Name, st.Name, st)
		}
	}
}

// TestStageFailureShowsOnItsBroker: one broker's master fails every
// GET_TOPIC_STATS_INFO for two cycles. That broker's topic_stats stage
// counts exactly the requests the simulator failed, with the error; the
// broker stays up, its other stages and every stage of the other broker
// are clean; a slave attempts only runtime_info and broker_config. The
// failure is logged once at Warn, the repeat at Debug, and the recovery
// once at Info, when the stage answers again.
func TestStageFailureShowsOnItsBroker(t *testing.T) {
	c := startSim(t, simbroker.Options{Brokers: 2, Slaves: true, Topics: 4, Groups: 2, ActiveEvery: 1})
	var logs logBuffer
	p := newPoller(t, [][]string{{c.Namesrv.Addr}}, debugLogger(&logs), nil)
	bad, good := c.Brokers[1], c.Brokers[0]

	s := cycle(c, p)
	for _, b := range s.Brokers {
		clean(t, "healthy cycle", b, "")
	}
	slave := brokerNamed(t, s, bad.Name, 1)
	for _, st := range slave.Stages {
		if st.Name != "runtime_info" && st.Name != "broker_config" {
			t.Errorf("the slave attempted stage %s", st.Name)
		}
	}
	if _, ok := stageOf(slave, "runtime_info"); !ok {
		t.Errorf("the slave has no runtime_info stage: %+v", slave.Stages)
	}

	const remark = "simulated topic stats failure"
	bad.Master.SetFault(simbroker.Fault{Request: remoting.GetTopicStatsInfo, Code: remoting.CodeSystemError, Remark: remark})
	var total int64
	for k := 1; k <= 2; k++ {
		before := topicStatsAsked(bad.Master)
		s = cycle(c, p)
		failed := topicStatsAsked(bad.Master) - before
		if failed == 0 {
			t.Fatalf("failing cycle %d: the poller asked the faulty broker no topic stats; the test proves nothing", k)
		}
		total += failed
		b := brokerNamed(t, s, bad.Name, 0)
		if !b.Up {
			t.Fatalf("failing cycle %d: %s down (%s); a stage failure must not take the broker down", k, b.Name, b.Err)
		}
		st, _ := stageOf(b, "topic_stats")
		if int64(st.Calls) != failed || int64(st.Failed) != failed || st.FailedTotal != total || !strings.Contains(st.LastErr, remark) {
			t.Errorf("failing cycle %d: topic_stats %+v, want %d calls, all failed, %d in total, error %q", k, st, failed, total, remark)
		}
		clean(t, "failing cycle", b, "topic_stats")
		clean(t, "failing cycle", brokerNamed(t, s, good.Name, 0), "")
	}
	if n := logs.count("level=WARN", "stage=topic_stats", "broker="+bad.Name, remark); n != 1 {
		t.Errorf("%d warnings for the failing stage over two failing cycles, want 1:\n%s", n, logs.buf.String())
	}
	if n := logs.count("level=DEBUG", "stage=topic_stats", "still failing"); n != 1 {
		t.Errorf("%d debug lines for the repeated failure, want 1", n)
	}

	bad.Master.ClearFault()
	before := topicStatsAsked(bad.Master)
	s = cycle(c, p)
	asked := topicStatsAsked(bad.Master) - before
	st, _ := stageOf(brokerNamed(t, s, bad.Name, 0), "topic_stats")
	if asked == 0 || int64(st.Calls) != asked || st.Failed != 0 || st.LastErr != "" || st.FailedTotal != total {
		t.Errorf("healed: topic_stats %+v after %d requests answered, want no failure and the total kept at %d", st, asked, total)
	}
	if n := logs.count("level=INFO", "stage=topic_stats", "broker="+bad.Name, "answers again"); n != 1 {
		t.Errorf("%d recovery lines, want 1", n)
	}
	if n := logs.count("stage=", "broker="+good.Name); n != 0 {
		t.Errorf("the healthy broker logged %d stage lines", n)
	}
}

// TestStageCutIsNotFailure: a broker holds every GET_TOPIC_STATS_INFO
// unanswered until the cycle's deadline. Those calls are cut (counted in
// the broker's cut and in the stage's Cut), not failures, and nothing is
// logged as a failing stage.
func TestStageCutIsNotFailure(t *testing.T) {
	c := startSim(t, simbroker.Options{Topics: 4, Groups: 2, ActiveEvery: 1})
	var logs logBuffer
	p := newPoller(t, [][]string{{c.Namesrv.Addr}}, debugLogger(&logs), func(cfg *poller.Config) {
		cfg.CycleTimeout = 2 * time.Second // the held calls end here, before their own timeout
	})
	srv := c.Brokers[0].Master
	srv.SetFault(simbroker.Fault{Request: remoting.GetTopicStatsInfo, Hold: true})
	t.Cleanup(srv.ClearFault)
	before := topicStatsAsked(srv)
	s := cycle(c, p)
	held := topicStatsAsked(srv) - before
	b := brokerNamed(t, s, c.Brokers[0].Name, 0)
	st, ok := stageOf(b, "topic_stats")
	if held == 0 || !ok {
		t.Fatalf("no topic stats held (%d) or no stage (%+v): the test proves nothing", held, b.Stages)
	}
	if !b.Up || !b.Cut || int64(st.Cut) != held || st.Failed != 0 || st.LastErr != "" {
		t.Errorf("up %v cut %v, topic_stats %+v; want up, cut, %d calls cut and none failed", b.Up, b.Cut, st, held)
	}
	if n := logs.count("stage=topic_stats"); n != 0 {
		t.Errorf("%d stage log lines for a cut, want none:\n%s", n, logs.buf.String())
	}
}

// TestStagesStayBetweenCalls: a stage not asked in a cycle (the broker
// config is re-read every 20 cycles; topic stats are not asked while the
// store stands still) is still listed, with no calls and its last outcome,
// so its series do not come and go between scrapes. A stage that failed
// and was not asked since stays failed.
func TestStagesStayBetweenCalls(t *testing.T) {
	c := startSim(t, simbroker.Options{Topics: 4, Groups: 2, ActiveEvery: 1})
	p := newPoller(t, [][]string{{c.Namesrv.Addr}}, nil, nil)
	srv := c.Brokers[0].Master
	cycle(c, p) // every topic's offsets known: a failed ask later keeps them
	srv.SetFault(simbroker.Fault{Request: remoting.GetTopicStatsInfo, Code: remoting.CodeSystemError, Remark: "down"})
	s := cycle(c, p)
	if st, _ := stageOf(brokerNamed(t, s, c.Brokers[0].Name, 0), "topic_stats"); st.Failed == 0 || st.OK {
		t.Fatalf("topic_stats %+v after a failing cycle; the test proves nothing", st)
	}
	srv.ClearFault()

	configs, stats := srv.CallsByCode()[remoting.GetBrokerConfig], topicStatsAsked(srv)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s = p.Cycle(ctx) // no traffic: nothing moved, nothing re-read
	if srv.CallsByCode()[remoting.GetBrokerConfig] != configs || topicStatsAsked(srv) != stats {
		t.Fatalf("the quiet cycle asked the broker config or topic stats again; the test proves nothing")
	}
	b := brokerNamed(t, s, c.Brokers[0].Name, 0)
	cfg, ok := stageOf(b, "broker_config")
	if !ok || cfg.Calls != 0 || !cfg.OK {
		t.Errorf("broker_config in a cycle that did not ask it: %+v (listed %v), want listed, no calls, OK", cfg, ok)
	}
	ts, ok := stageOf(b, "topic_stats")
	if !ok || ts.Calls != 0 || ts.OK || ts.LastErr == "" || ts.FailedTotal == 0 {
		t.Errorf("topic_stats in a cycle that did not ask it: %+v (listed %v), want listed, no calls, still failed with its error", ts, ok)
	}
}
