package poller

import (
	"context"
	"sort"
	"sync"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// stageID names one kind of call the poller makes to a broker. Each
// broker's outcome per stage is in snapshot.Broker.Stages, so a failure
// shows against its broker instead of only in the unlabelled RPC error
// count.
type stageID int

const (
	stRuntimeInfo        stageID = iota // GET_BROKER_RUNTIME_INFO
	stBrokerConfig                      // GET_BROKER_CONFIG
	stTopicConfig                       // GET_ALL_TOPIC_CONFIG
	stSubscriptionGroups                // GET_ALL_SUBSCRIPTIONGROUP_CONFIG
	stConsumeStats                      // GET_BROKER_CONSUME_STATS
	stProducers                         // GET_ALL_PRODUCER_INFO
	stTopicStats                        // GET_TOPIC_STATS_INFO
	stTopicRates                        // VIEW_BROKER_STATS_DATA TOPIC_PUT_NUMS/SIZE
	stConnections                       // GET_CONSUMER_CONNECTION_LIST
	stGroupRates                        // VIEW_BROKER_STATS_DATA GROUP_GET_SIZE, SNDBCK_PUT_NUMS
	stLagSeconds                        // QUERY_CONSUME_TIME_SPAN
	stRunningInfo                       // GET_CONSUMER_RUNNING_INFO
	stConsumerOffsets                   // GET_ALL_CONSUMER_OFFSET
	stLeakProbes                        // VIEW_BROKER_STATS_DATA of deleted topics and groups
	numStages
)

// stageNames are the stable names of snapshot.Stage.Name (and of the
// stage label): renaming one breaks dashboards.
var stageNames = [numStages]string{
	stRuntimeInfo: "runtime_info", stBrokerConfig: "broker_config", stTopicConfig: "topic_config",
	stSubscriptionGroups: "subscription_groups", stConsumeStats: "consume_stats", stProducers: "producers",
	stTopicStats: "topic_stats", stTopicRates: "topic_rates", stConnections: "connections", stGroupRates: "group_rates",
	stLagSeconds: "lag_seconds", stRunningInfo: "running_info", stConsumerOffsets: "consumer_offsets",
	stLeakProbes: "leak_probes",
}

// stageCount tallies one stage's calls to one broker in one cycle. The
// calls run in goroutines, hence the lock.
type stageCount struct {
	mu                 sync.Mutex
	calls, failed, cut int
	lastErr            string
}

// cycleTally is one broker's stage counts for one cycle.
type cycleTally [numStages]stageCount

// of returns the count of stage id; nil (nothing recorded) for a nil tally,
// the namesrv calls.
func (t *cycleTally) of(id stageID) *stageCount {
	if t == nil {
		return nil
	}
	return &t[id]
}

// stageMemory is what outlives a cycle of one broker's stage.
type stageMemory struct {
	seen        bool // a call of the stage was made in some cycle: its series stay
	failedTotal int64
	failing     bool   // the stage's last cycle with an outcome had a failure: logged once
	lastErr     string // that failure's error
}

// ask makes one call with the per-call timeout and counts its outcome in
// st (nil: counted nowhere).
func ask[T any](ctx context.Context, p *Poller, st *stageCount, fn func(context.Context) (T, error)) (T, error) {
	unsent := ctx.Err() != nil // the deadline came first: not a call made
	cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
	defer cancel()
	v, err := fn(cctx)
	if !unsent {
		st.record(ctx, err)
	}
	return v, err
}

// record counts one call made. A call the cycle's deadline ended is cut,
// not failed: the cut is counted per broker already, and what it missed is
// carried. A consumer not online and a stat item that does not exist are
// answers.
func (s *stageCount) record(cycle context.Context, err error) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	switch {
	case err == nil || remoting.ResponseCode(err) == remoting.CodeConsumerNotOnline || admin.IsStatsNotExist(err):
	case cycle.Err() != nil:
		s.cut++
	default:
		s.failed++
		s.lastErr = err.Error()
	}
}

// settleStages turns the cycle's tally into the broker's stages, adds
// their failures to the broker's totals and logs what changed. Call it
// once every call to the broker has returned. A stage asked in an earlier
// cycle but not in this one (the broker config is re-read every
// brokerConfigEvery cycles, topic stats only when the store moved) is still
// listed, with no calls and its last outcome: its series must not come and
// go between scrapes.
func (p *Poller) settleStages(b *snapshot.Broker, mem *brokerMemory) []snapshot.Stage {
	for id := range numStages {
		c := mem.tally.of(id)
		if c == nil || c.calls == 0 {
			continue
		}
		m := &mem.stages[id]
		m.seen = true
		m.failedTotal += int64(c.failed)
		p.logStage(b, stageNames[id], c, m)
	}
	return p.stages(mem)
}

// stages lists every stage the broker was ever asked, sorted by name, with
// this cycle's counts (none for a broker carried over without being asked)
// and each stage's last outcome.
func (p *Poller) stages(mem *brokerMemory) []snapshot.Stage {
	var out []snapshot.Stage
	for id := range numStages {
		m := &mem.stages[id]
		if !m.seen {
			continue
		}
		st := snapshot.Stage{Name: stageNames[id], OK: !m.failing, FailedTotal: m.failedTotal}
		if !st.OK {
			st.LastErr = m.lastErr
		}
		if c := mem.tally.of(id); c != nil {
			st.Calls, st.Failed, st.Cut = c.calls, c.failed, c.cut
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// logStage logs the first failing cycle of a run at Warn, the repeats at
// Debug (a broker failing for hours must not flood the log), and the first
// cycle answered again at Info. A cycle whose calls were all cut says
// nothing either way.
func (p *Poller) logStage(b *snapshot.Broker, name string, c *stageCount, m *stageMemory) {
	attrs := []any{"cluster", b.Cluster, "broker", b.Name, "addr", b.Addr, "stage", name}
	switch {
	case c.failed > 0 && !m.failing:
		p.log.Warn("broker collection stage failing; its entities keep their last values",
			append(attrs, "failed", c.failed, "calls", c.calls, "err", c.lastErr)...)
		m.failing, m.lastErr = true, c.lastErr
	case c.failed > 0:
		m.lastErr = c.lastErr
		p.log.Debug("broker collection stage still failing", append(attrs, "failed", c.failed, "calls", c.calls, "err", c.lastErr)...)
	case m.failing && c.calls > c.cut:
		p.log.Info("broker collection stage answers again", attrs...)
		m.failing, m.lastErr = false, ""
	}
}
