package poller

import (
	"context"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/history"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/defect"
	"github.com/rocketmq-exporter/rocketmq_exporter/leak"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// probeLeaks hands a master's unfiltered listings to the leak planner,
// asks the stat keys it plans with the cycle's concurrency and deadline,
// and stores the planner's report in b.
func (p *Poller) probeLeaks(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, l *listings) {
	// Without offsets (nil) the planner carries the orphans of its last
	// answer; the consumer_offsets stage shows the failure.
	offsets, _ := ask(ctx, p, mem.tally.of(stConsumerOffsets), func(c context.Context) (*admin.ConsumerOffsets, error) {
		return p.adm.AllConsumerOffsets(c, b.Addr)
	})
	listing := leakListing(b, l, offsets)
	if defect.On(defect.FilteredExistence) {
		listing = filteredListing(b, offsets)
	}
	probes := p.cfg.Leaks.Observe(listing)
	answers := make([]leak.Answer, len(probes))
	st := mem.tally.of(stLeakProbes)
	p.each(ctx, len(probes), func(i int) {
		d, err := p.stat(ctx, st, b.Addr, probes[i].Stats, probes[i].Key)
		answers[i] = leak.Answer{Asked: err == nil, Exists: d != nil}
	})
	b.Leaks, b.LMQ = p.cfg.Leaks.Record(b.Key(), probes, answers)
}

// leakListing builds what the planner needs from the listings as the
// broker answered them: every topic and group, whatever the filters.
func leakListing(b *snapshot.Broker, l *listings, offsets *admin.ConsumerOffsets) *leak.Listing {
	out := &leak.Listing{Key: b.Key(), Boot: b.BootTime, Topics: make(map[string]int, l.topics.Len()),
		Groups: make(map[string]bool, l.groups.Len()), Pairs: make(map[string][]string, len(l.consume.Groups))}
	for name, queues := range l.topics.Queues() {
		out.Topics[name] = queues
	}
	for name := range l.groups.Names() {
		out.Groups[name] = true
	}
	for _, g := range l.consume.Groups {
		out.Groups[g.Group] = true
		for topic := range consumedTopics(g) {
			if !strings.HasPrefix(topic, snapshot.LMQPrefix) {
				out.Pairs[topic] = append(out.Pairs[topic], g.Group)
			}
		}
	}
	out.Offsets = leakOffsets(offsets)
	return out
}

// consumedTopics are the topics a group has offsets on: all of them named
// when a sieve cut its stats (admin.GroupConsumeStats). A sequence, not a
// slice: this runs for every group of an owned master every cycle.
func consumedTopics(g admin.GroupConsumeStats) iter.Seq[string] {
	if g.Sifted {
		return slices.Values(g.Topics)
	}
	return func(yield func(string) bool) {
		for _, st := range g.Stats {
			if len(st.Queues) > 0 && !yield(st.Queues[0].Topic) {
				return
			}
		}
	}
}

// leakOffsets turns the offset table into the planner's rows; nil when the
// call failed (an empty table is an empty, non-nil slice).
func leakOffsets(offsets *admin.ConsumerOffsets) []leak.Offset {
	if offsets == nil {
		return nil
	}
	out := make([]leak.Offset, 0, len(offsets.Entries))
	for _, e := range offsets.Entries {
		out = append(out, leak.Offset{Topic: e.Topic, Group: e.Group, Queues: len(e.Offsets)})
	}
	return out
}

// filteredListing is the re-injectable defect of judging existence from
// the filtered lists (package defect).
func filteredListing(b *snapshot.Broker, offsets *admin.ConsumerOffsets) *leak.Listing {
	out := &leak.Listing{Key: b.Key(), Boot: b.BootTime, Topics: map[string]int{}, Groups: map[string]bool{}, Pairs: map[string][]string{}}
	for _, t := range b.Topics {
		out.Topics[t.Name] = max(t.ReadQueues, t.WriteQueues)
	}
	for _, g := range b.Groups {
		out.Groups[g.Name] = true
		for _, gt := range g.Topics {
			out.Pairs[gt.Topic] = append(out.Pairs[gt.Topic], g.Name)
		}
	}
	out.Offsets = leakOffsets(offsets)
	return out
}

// forgetLeaks drops the planner's memory of brokers no longer collected.
func (p *Poller) forgetLeaks(keep map[string]bool) {
	if p.cfg.Leaks != nil {
		p.cfg.Leaks.Forget(keep)
	}
}

// recallRetry spaces attempts to read history that failed.
const recallRetry = time.Minute

// stateEvery is how many cycles pass between saves of the state file
// (about five minutes at the default interval) while no deletion is
// learnt; a cycle that learns one saves at its end, and so does Run.
const stateEvery = 20

// recallState is the history read back once at start. Only the cycle
// goroutine touches it.
type recallState struct {
	done     bool
	inflight chan recallResult
	lastTry  time.Time
	pending  map[history.Broker]history.Names // not applied by the planner yet
	// handed are the pending names already handed to the planner: they
	// stay pending, for the state file, until their broker is reached.
	handed   map[history.Broker]bool
	savedGen int64 // the planner's generation the state file holds
}

type recallResult struct {
	names map[history.Broker]history.Names
	err   error
}

// applyRecall reads history once (in the background, unless RecallWait)
// and hands each master listed this cycle the names recalled for it.
func (p *Poller) applyRecall(parent context.Context) {
	if p.cfg.History == nil || p.cfg.Leaks == nil || defect.On(defect.ForgetfulRestart) {
		return
	}
	r := &p.recall
	started := false
	if !r.done && r.inflight == nil && time.Since(r.lastTry) >= recallRetry {
		started = true
		ch := make(chan recallResult, 1)
		r.inflight, r.lastTry = ch, time.Now()
		go func() {
			m, err := p.cfg.History.Recall(parent)
			ch <- recallResult{m, err}
		}()
	}
	if r.inflight != nil {
		var res recallResult
		// A state file answers at once and a nearby Prometheus within a
		// call's time: the cycle that asks waits that long, so its end can
		// already save the state; a slow source answers in the background.
		switch {
		case p.cfg.RecallWait:
			res = <-r.inflight
		case started:
			timer := time.NewTimer(p.cfg.CallTimeout)
			defer timer.Stop()
			select {
			case res = <-r.inflight:
			case <-timer.C:
				return
			}
		default: // asked in an earlier cycle: take the answer if it is in
			select {
			case res = <-r.inflight:
			default:
				return
			}
		}
		r.inflight = nil
		if res.err != nil {
			p.log.Warn("leak history: recall failed or was partial", "err", res.err)
		}
		if res.names == nil {
			return // try again after recallRetry
		}
		r.done, r.pending = true, res.names
		p.log.Info("leak history: names recalled", "brokers", len(res.names))
	}
	for ti, insts := range p.instances {
		for _, inst := range insts {
			hk := p.historyKey(ti, inst.Cluster, inst.BrokerName)
			if n, ok := r.pending[hk]; ok && inst.IsMaster() && !r.handed[hk] {
				p.cfg.Leaks.Recall(brokerKey(inst), recalled(n))
				if r.handed == nil {
					r.handed = map[history.Broker]bool{}
				}
				r.handed[hk] = true
			}
		}
	}
}

// historyKey names a broker as its series do: the target label is there
// only when the exporter watches several targets.
func (p *Poller) historyKey(target int, cluster, broker string) history.Broker {
	k := history.Broker{Cluster: cluster, Broker: broker}
	if len(p.targets) > 1 && target < len(p.targets) {
		k.Target = p.targets[target].Name
	}
	return k
}

func recalled(n history.Names) leak.Recalled {
	r := leak.Recalled{Topics: n.Topics, Groups: n.Groups}
	if n.Boot > 0 {
		r.Boot = time.UnixMilli(n.Boot)
	}
	r.Pairs, r.Past = leakPairs(n.Pairs), leakPairs(n.Past)
	return r
}

// leakPairs and historyPairs turn (topic, group) pairs from the state
// file's form into the planner's and back.
func leakPairs(ps []history.Pair) [][2]string {
	var out [][2]string
	for _, pr := range ps {
		out = append(out, [2]string{pr.Topic, pr.Group})
	}
	return out
}

func historyPairs(ps [][2]string) []history.Pair {
	var out []history.Pair
	for _, pr := range ps {
		out = append(out, history.Pair{Topic: pr[0], Group: pr[1]})
	}
	return out
}

// stateNames is what the state file keeps of what the planner knows of a
// master booted at boot (zero: unknown).
func stateNames(k leak.Recalled, boot time.Time) history.Names {
	n := history.Names{Topics: k.Topics, Groups: k.Groups}
	if !boot.IsZero() {
		n.Boot = boot.UnixMilli()
	}
	n.Pairs, n.Past = historyPairs(k.Pairs), historyPairs(k.Past)
	return n
}

// SaveState writes the state file now. Call it only while no cycle runs
// (Run saves by itself every few cycles and when it ends).
func (p *Poller) SaveState() { p.saveState(true) }

// saveState writes what the planner knows of every master (live names and
// tombstones) to the state file, every stateEvery cycles and at the end.
func (p *Poller) saveState(force bool) {
	if p.cfg.State == nil || p.cfg.Leaks == nil {
		return
	}
	if p.cfg.History != nil && !p.recall.done && !defect.On(defect.ForgetfulRestart) {
		// Not read back yet: writing now would replace what the last
		// process knew with what this one has seen so far.
		return
	}
	gen := p.cfg.Leaks.Generation()
	if !force && p.seq%stateEvery != 0 && gen == p.recall.savedGen {
		return
	}
	p.recall.savedGen = gen
	m := map[history.Broker]history.Names{}
	for key, mem := range p.memory {
		if mem.last == nil || !mem.last.IsMaster() {
			continue
		}
		n := stateNames(p.cfg.Leaks.Known(key), mem.last.BootTime)
		hk := p.historyKey(mem.target, mem.last.Cluster, mem.last.Name)
		if mem.failures == 0 && p.recall.handed[hk] {
			// Reached this cycle: the planner applied what it was handed.
			delete(p.recall.pending, hk)
			delete(p.recall.handed, hk)
		}
		m[hk] = n
	}
	// Names recalled for brokers not seen since (down, or not listed yet)
	// are kept for them.
	m = history.Merge(m, p.recall.pending)
	over, err := p.cfg.State.Save(m)
	if err != nil {
		p.log.Warn("leak state file not written", "path", p.cfg.State.Path(), "err", err)
		return
	}
	for b, o := range over {
		p.log.Warn("leak state file: names left out by its cap", "cluster", b.Cluster, "broker", b.Broker,
			"topics", o.Topics, "groups", o.Groups, "pairs", o.Pairs, "past_pairs", o.Past)
	}
}

// keepForgotten keeps what the planner knew of a master let go after its
// grace cycles among the pending recalled names: the state file goes on
// naming it (a killed master keeps its topics for its restart, and audit
// must know it is missing), and if it comes back the names are handed to
// the planner as recalled ones.
func (p *Poller) keepForgotten(mem *brokerMemory) {
	if p.cfg.State == nil || p.cfg.Leaks == nil || mem.last == nil || !mem.last.IsMaster() {
		return
	}
	n := stateNames(p.cfg.Leaks.Known(mem.last.Key()), mem.last.BootTime)
	hk := p.historyKey(mem.target, mem.last.Cluster, mem.last.Name)
	delete(p.recall.handed, hk)
	p.recall.pending = history.Merge(p.recall.pending, map[history.Broker]history.Names{hk: n})
}
