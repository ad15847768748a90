// Package poller is the service layer: it owns every call to RocketMQ,
// runs collection cycles in the background and publishes each result as an
// immutable snapshot. Scrapes read the latest snapshot and never wait on a
// broker.
package poller

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/filter"
	"github.com/rocketmq-exporter/rocketmq_exporter/gc"
	"github.com/rocketmq-exporter/rocketmq_exporter/history"
	"github.com/rocketmq-exporter/rocketmq_exporter/leak"
	"github.com/rocketmq-exporter/rocketmq_exporter/rpcstats"
	"github.com/rocketmq-exporter/rocketmq_exporter/shard"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// Config tunes collection.
type Config struct {
	// Targets are namesrv sets, one per watched cluster (or group of
	// clusters sharing namesrvs). Within a set the poller fails over.
	Targets [][]string
	// TargetNames name the targets, in the same order (snapshot.Target.Name);
	// a missing name is the target's namesrvs joined with ';'.
	TargetNames []string
	// Interval between cycle starts.
	Interval time.Duration
	// CycleTimeout bounds a whole cycle; 0 means 90% of Interval.
	CycleTimeout time.Duration
	// CallTimeout bounds one RPC.
	CallTimeout time.Duration
	// BrokerConcurrency is how many brokers are collected at once.
	BrokerConcurrency int
	// CallConcurrency is how many calls to one broker are in flight at once.
	CallConcurrency int
	// GraceCycles is how many failed cycles a broker's last data is kept
	// (served with rocketmq_up 0) before its series go.
	GraceCycles int
	Topics      *filter.Filter
	Groups      *filter.Filter
	// Shard is this replica's share of the topics, groups and brokers
	// (shard.go); the zero Set owns everything.
	Shard shard.Set
	// QueueDetail keeps per-queue offsets in the snapshot.
	QueueDetail bool
	// ExpandLMQ keeps one entry per light message queue; by default a
	// group's LMQs are summed into one entry per parent ("%LMQ%<parent>"),
	// since MQTT workloads create one per client and never delete them.
	ExpandLMQ bool
	// ClientRunningInfo asks every online client for its own figures
	// (GET_CONSUMER_RUNNING_INFO); one call per client per cycle.
	ClientRunningInfo bool
	// PutMessageRates asks a moving topic's message rate (TOPIC_PUT_NUMS)
	// besides its byte rate (TOPIC_PUT_SIZE): one call more per moving
	// topic, which only the message-rate and Java families serve.
	PutMessageRates bool
	// AckRates asks a POP group's consuming pairs' acknowledgements
	// (GROUP_ACK_NUMS): one call per pair, which only the message-rate
	// family of acknowledgements serves.
	AckRates bool
	// LagSeconds reads the age of the oldest unconsumed message per lagging
	// group and topic (QUERY_CONSUME_TIME_SPAN), cached while the group
	// does not move.
	LagSeconds bool
	// IdleTopicRefreshCycles re-asks the offsets of a topic that no group
	// consumes and that has not moved for a minute only every this many
	// cycles; 0 or 1 asks every cycle.
	IdleTopicRefreshCycles int
	// LagSecondsBudget caps QUERY_CONSUME_TIME_SPAN calls per broker per
	// cycle; 0 means no cap.
	LagSecondsBudget int
	// OfflineRefreshCycles is how often (in cycles) the connection list of a
	// group seen offline is asked again; 1 asks every cycle (at least 1).
	OfflineRefreshCycles int
	// Proxies are, per target (index-aligned with Targets), the remoting
	// addresses of the target's rocketmq-proxies in cluster mode, asked
	// for the consumers of a group the broker sees none of (proxies.go).
	Proxies [][]string
	// Leaks, when set, plans the probing of what deleted topics and groups
	// left on each master; the poller makes the calls.
	Leaks *leak.Planner
	// History, when set, is read once (in the background) for names of
	// topics and groups served before this process started; the planner
	// makes tombstones of those that no longer exist. RecallWait makes the
	// first cycle wait for it (audit's single pass).
	History    history.Source
	RecallWait bool
	// State, when set, is written every few cycles and when Run ends with
	// what the planner knows, for History to recall after a restart.
	State  *history.File
	Logger *slog.Logger
}

// Poller runs cycles and keeps the latest snapshot.
type Poller struct {
	cfg   Config
	adm   *admin.Client
	rec   *rpcstats.Recorder
	log   *slog.Logger
	cur   atomic.Pointer[snapshot.Snapshot]
	seq   uint64
	ready chan struct{}
	once  sync.Once

	// Only the cycle goroutine touches the fields below.
	memory      map[string]*brokerMemory // by broker key
	lastNS      []int                    // per target: index of the namesrv that answered last
	targets     []*snapshot.Target
	instances   [][]admin.BrokerInstance // per target: brokers its namesrv listed this cycle
	nsDown      map[nsKey]bool           // namesrvs that did not answer last cycle
	tracker     *gc.Tracker
	subscribers []func(*snapshot.Snapshot)
	overruns    atomic.Int64
	recall      recallState
}

// DefaultConfig is the collection defaults: the exporter's flags take
// theirs from here (through app.Defaults), so each lives in one place.
func DefaultConfig() Config {
	return Config{Interval: 15 * time.Second, CallTimeout: 5 * time.Second, BrokerConcurrency: 8, CallConcurrency: 16,
		GraceCycles: 3, OfflineRefreshCycles: 4, IdleTopicRefreshCycles: 4, LagSeconds: true, LagSecondsBudget: 2000}
}

// Validate rejects a config that cannot work; it never fills anything in.
func (c Config) Validate() error {
	switch {
	case c.Interval <= 0:
		return errors.New("--collect.interval must be positive")
	case c.CallTimeout <= 0:
		return errors.New("--rocketmq.timeout must be positive")
	case c.CycleTimeout < 0:
		return errors.New("--collect.timeout must not be negative (0 means 90% of the interval)")
	case c.BrokerConcurrency < 1:
		return errors.New("--collect.broker-concurrency must be at least 1")
	case c.CallConcurrency < 1:
		return errors.New("--collect.call-concurrency must be at least 1")
	case c.GraceCycles < 0:
		return errors.New("--collect.grace-cycles must not be negative")
	case c.OfflineRefreshCycles < 1:
		return errors.New("--collect.offline-group-refresh must be at least 1 (1 asks every cycle)")
	case c.IdleTopicRefreshCycles < 0:
		return errors.New("--collect.idle-topic-refresh must not be negative (0 or 1 asks every cycle)")
	case c.LagSecondsBudget < 0:
		return errors.New("--collect.lag-seconds-budget must not be negative (0 means no cap)")
	}
	return nil
}

// New creates a poller from a valid config; rec may be nil.
func New(cfg Config, adm *admin.Client, rec *rpcstats.Recorder) (*Poller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.CycleTimeout == 0 {
		cfg.CycleTimeout = cfg.Interval * 9 / 10 // the documented meaning of 0
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Poller{cfg: cfg, adm: adm, rec: rec, log: cfg.Logger, ready: make(chan struct{}), tracker: gc.NewTracker(),
		memory: map[string]*brokerMemory{}, lastNS: make([]int, len(cfg.Targets)),
		instances: make([][]admin.BrokerInstance, len(cfg.Targets))}
	for i, t := range cfg.Targets {
		name := strings.Join(t, ";")
		if i < len(cfg.TargetNames) && cfg.TargetNames[i] != "" {
			name = cfg.TargetNames[i]
		}
		p.targets = append(p.targets, &snapshot.Target{Name: name, Namesrvs: t})
	}
	return p, nil
}

// Subscribe registers f to receive every published snapshot, complete and
// immutable, right after it becomes the latest and before readiness is
// signalled (the metrics cache encodes there). Call before Run.
func (p *Poller) Subscribe(f func(*snapshot.Snapshot)) { p.subscribers = append(p.subscribers, f) }

// Snapshot returns the latest published snapshot, nil before the first.
func (p *Poller) Snapshot() *snapshot.Snapshot { return p.cur.Load() }

// Ready is closed once the first cycle has been published.
func (p *Poller) Ready() <-chan struct{} { return p.ready }

// Overruns counts cycles that hit their deadline or ran past the interval.
func (p *Poller) Overruns() int64 { return p.overruns.Load() }

// Run collects every Interval until ctx ends. A cycle that runs past the
// interval delays the next one (it is never skipped silently): the overrun
// is counted, logged and shown in the snapshot.
func (p *Poller) Run(ctx context.Context) {
	defer p.saveState(true) // what the planner knows outlives the process
	for {
		start := time.Now()
		s := p.Cycle(ctx)
		if ctx.Err() != nil {
			return
		}
		if took := time.Since(start); took > p.cfg.Interval && !s.Overran { // a deadline hit was counted already
			p.overruns.Add(1)
			p.log.Warn("collection cycle overran its interval", "took", took, "interval", p.cfg.Interval, "seq", s.Seq)
		}
		wait := p.cfg.Interval - time.Since(start)
		if wait < 0 {
			wait = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// Cycle runs one collection and publishes its snapshot.
func (p *Poller) Cycle(parent context.Context) *snapshot.Snapshot {
	ctx, cancel := context.WithTimeout(parent, p.cfg.CycleTimeout)
	defer cancel()
	p.seq++
	s := &snapshot.Snapshot{Seq: p.seq, Started: time.Now(), Shard: p.cfg.Shard}

	type found struct {
		target int
		inst   admin.BrokerInstance
	}
	var insts []found
	listed := make([]bool, len(p.targets)) // cluster info answered: the broker list is authoritative
	rounds := make([]*nsRound, len(p.targets))
	for i := range p.targets {
		rounds[i] = p.askNamesrvs(ctx, i)
	}
	for i := range p.targets {
		t := p.discover(i, rounds[i])
		s.Targets = append(s.Targets, t)
		if t.Up {
			listed[i] = true
		}
	}
	seen := map[string]bool{}
	for i := range s.Targets {
		for _, inst := range p.instances[i] {
			key := brokerKey(inst)
			if seen[key] {
				continue // two namesrv sets naming one broker: collect it once
			}
			seen[key] = true
			insts = append(insts, found{target: i, inst: inst})
		}
	}

	p.applyRecall(parent)
	results := make([]*snapshot.Broker, len(insts))
	mems := make([]*brokerMemory, len(insts)) // looked up here: the goroutines must not touch the map
	for i, f := range insts {
		mems[i] = p.memory[brokerKey(f.inst)]
	}
	sem := make(chan struct{}, p.cfg.BrokerConcurrency)
	var wg sync.WaitGroup
	for i, f := range insts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			results[i] = p.collectBroker(ctx, f.inst, mems[i])
		}()
	}
	wg.Wait()
	for i, b := range results {
		if b != nil {
			b.Target = insts[i].target
		}
	}
	if ctx.Err() != nil && parent.Err() == nil {
		s.Overran = true
		p.overruns.Add(1)
		p.log.Warn("collection cycle hit its deadline; unfinished brokers are reported down", "deadline", p.cfg.CycleTimeout)
	}

	// A broker its namesrv no longer lists, or whose namesrvs did not answer,
	// may have crashed (a killed broker's registration goes with its
	// connection): serve its last data as down for the grace period, then
	// let it go.
	for key, mem := range p.memory {
		if seen[key] || mem.last == nil {
			continue
		}
		reason := "no longer registered with the namesrv"
		if !listed[mem.target] {
			reason = "namesrv unreachable"
		}
		if b := p.carryOver(mem, reason); b != nil {
			b.Target = mem.target
			p.log.Warn("broker missing from this cycle", "cluster", b.Cluster, "broker", b.Name, "addr", b.Addr, "reason", reason)
			results = append(results, b)
			seen[key] = true
		}
	}
	for key, mem := range p.memory {
		if !seen[key] {
			p.keepForgotten(mem)
			delete(p.memory, key) // out of the listings and out of grace: forget it
		}
	}
	p.forgetLeaks(seen)
	p.saveState(false)
	for _, b := range results {
		if b != nil {
			s.Brokers = append(s.Brokers, b)
		}
	}
	sort.Slice(s.Brokers, func(i, j int) bool { return s.Brokers[i].Key() < s.Brokers[j].Key() })
	p.finalize(s, rounds)
	p.publish(s)
	return s
}

// finalize completes s: which namesrvs answered, the cycle's calls per
// broker, the entities it tracks and those that vanished, and the
// exporter's own totals. Nothing writes s after it.
func (p *Poller) finalize(s *snapshot.Snapshot, rounds []*nsRound) {
	for i, r := range rounds {
		p.settleNamesrvs(i, s.Targets[i], r) // before the cycle's calls are counted
	}
	if p.rec != nil {
		counts := p.rec.TakeCycle()
		s.RPCs = map[string]int{}
		for _, m := range counts {
			for name, n := range m {
				s.RPCs[name] += n
			}
		}
		for _, b := range s.Brokers {
			b.RPCs = counts[b.Addr]
		}
		s.Self.RPC = p.rec.Totals()
	}
	p.tracker.Track(s)
	s.Self.Overruns = p.overruns.Load()
	s.Finished = time.Now()
}

// publish makes s the latest snapshot and hands it to every subscriber, in
// the order they subscribed, before readiness is signalled.
func (p *Poller) publish(s *snapshot.Snapshot) {
	p.cur.Store(s)
	for _, f := range p.subscribers {
		f(s)
	}
	p.once.Do(func() { close(p.ready) })
}

func brokerKey(i admin.BrokerInstance) string { return i.Cluster + "/" + i.BrokerName + "/" + i.Addr }

// brokerConfigEvery is how many cycles pass between reads of a broker's
// config (about five minutes at the default interval). Only the settings
// that decide stat cleanup are kept, and they change with a broker restart
// or an operator's updateBrokerConfig, both rare; a flag would tune nothing
// an operator needs.
const brokerConfigEvery = 20
