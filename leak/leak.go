// Package leak decides how the exporter looks for what deleted topics and
// groups left on a broker, and keeps what it learnt. It makes no calls:
// the poller, the only code that talks to RocketMQ, hands it each cycle's
// listings (Observe), asks it which stat keys to probe (the Plan), runs
// those calls with its own concurrency and deadline, and hands the answers
// back (Record), which yields the broker's LeakReport.
//
// What exists is judged from the broker's unfiltered listings (topic
// config, subscription groups, consume stats): the --topic.* and --group.*
// filters limit what is exported, never what is known to exist, so a live
// topic outside the filters is never a "deleted" one.
//
// Memory: a deleted topic or group (a tombstone) is remembered until its
// broker restarts (the boot time changes: a restart frees every stat item),
// until it exists again, or until the per-broker cap pushes it out, which
// is counted (TombstonesDropped), never silent. A restarted exporter
// recovers deleted names from a history source (Recall) and from the
// broker's own consumer offsets and %RETRY%/%DLQ% topics.
//
// Fairness: every key a tombstone implies enters a first-in first-out
// queue when the tombstone is made; each cycle asks the first Probes keys
// of it. A key that entered behind a backlog of Q keys is asked within
// ceil((Q+1)/Probes) cycles (a failed call puts it back at the head, so a
// broker that does not answer delays but never starves it). Keys found
// held are asked again every Reprobe with what budget is left; keys found
// absent are not asked again.
package leak

import (
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// Config bounds what probing costs and remembers.
type Config struct {
	// Probes is how many stat keys one broker is asked per cycle.
	Probes int
	// MaxTombstones caps remembered deletions per broker; the oldest go
	// first (those found clean before those still leaking), counted.
	MaxTombstones int
	// Reprobe is how long a key found held waits before it is asked again.
	Reprobe time.Duration
	// TTL, when positive, forgets a tombstone after this long even though
	// its broker did not restart; 0 keeps it until the restart.
	TTL time.Duration
}

// DefaultConfig is the daemon's default.
func DefaultConfig() Config {
	return Config{Probes: 64, MaxTombstones: 5000, Reprobe: 5 * time.Minute}
}

// Validate rejects a config that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Probes <= 0:
		return errors.New("leak probes must be positive (0 disables probing before a planner is built)")
	case c.MaxTombstones <= 0:
		return errors.New("--leak.max-tombstones must be positive")
	case c.Reprobe <= 0:
		return errors.New("--leak.reprobe-interval must be positive")
	case c.TTL < 0:
		return errors.New("--leak.tombstone-ttl must not be negative")
	}
	return nil
}

// Kinds of subjects.
const (
	KindTopic = "topic"
	KindGroup = "group"
	kindLMQ   = "lmq"
)

// Probe is one stat key to ask the broker about.
type Probe struct {
	Stats, Key string
}

// Answer is what the broker said of one planned probe.
type Answer struct {
	// Asked is false when the call failed or was never made (deadline):
	// the key stays at the head of the queue.
	Asked  bool
	Exists bool
}

// Offset is one committed consumer-offset row (topic@group) and how many
// queues it covers.
type Offset struct {
	Topic, Group string
	Queues       int
}

// Listing is what one master's unfiltered listings showed this cycle.
type Listing struct {
	Key  string // the broker's snapshot key
	Boot time.Time
	// Topics maps every topic in the topic config to its queue count.
	Topics map[string]int
	// Groups holds every group in the subscription config or consume stats.
	Groups map[string]bool
	// Pairs maps a topic to the groups with committed offsets on it (from
	// consume stats), for the keys a deletion leaves per (topic, group).
	Pairs map[string][]string
	// Offsets is the broker's consumer-offset table; nil when the call
	// failed (then orphans and LMQs are carried from the last answer).
	Offsets []Offset
}

// Planner holds what is known per broker. Safe for concurrent use by the
// poller's broker goroutines (one call per broker at a time).
type Planner struct {
	cfg Config
	now func() time.Time

	mu      sync.Mutex
	brokers map[string]*broker
	recall  map[string]Recalled // by broker key, not yet applied
	// departed are the keys of brokers Forget dropped and not observed
	// since, oldest first, at most maxDeparted (see Departed).
	departed []string
}

// maxDeparted bounds Departed: brokers rescheduled at new addresses leave
// one key each, and only the latest ones are worth a caution.
const maxDeparted = 256

// New creates a planner.
func New(cfg Config) (*Planner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Planner{cfg: cfg, now: time.Now, brokers: map[string]*broker{}, recall: map[string]Recalled{}}, nil
}

// Recalled is what a history source remembers of one broker: names it was
// seen with, and (topic, group) pairs.
type Recalled struct {
	Topics, Groups []string
	// Pairs are (topic, group) pairs; one of two live names that the
	// listings no longer pair is kept as a first life (see Past).
	Pairs [][2]string
	// Past are pairs of first lives: a name of the pair was deleted and
	// came back, and the pair's items stay in the broker until it
	// restarts, for whichever side is deleted next.
	Past [][2]string
	// Boot is the broker's boot time when the names were saved (zero:
	// unknown); a broker booted since holds none of their items.
	Boot time.Time
}

// Recall hands the planner names recovered from history for a broker key;
// they are applied on that broker's next Observe, where every name that no
// longer exists becomes a tombstone.
func (p *Planner) Recall(key string, r Recalled) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.recall[key]
	old.Topics = append(old.Topics, r.Topics...)
	old.Groups = append(old.Groups, r.Groups...)
	old.Pairs = append(old.Pairs, r.Pairs...)
	old.Past = append(old.Past, r.Past...)
	if r.Boot.After(old.Boot) {
		old.Boot = r.Boot
	}
	p.recall[key] = old
}

func (p *Planner) broker(key string) (*broker, Recalled, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.brokers[key]
	if b == nil {
		b = newBroker()
		p.brokers[key] = b
	}
	r, ok := p.recall[key]
	delete(p.recall, key)
	p.departed = slices.DeleteFunc(p.departed, func(k string) bool { return k == key })
	return b, r, ok
}

// Generation changes whenever a deletion or a partner of one is learnt, so
// a state file is written when it has something new to keep.
func (p *Planner) Generation() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var n int64
	for _, b := range p.brokers {
		b.mu.Lock()
		n += b.gen
		b.mu.Unlock()
	}
	return n
}

// Exists reports whether a broker's last listings held a topic (kind
// KindTopic) or group (KindGroup); false for a broker never observed.
func (p *Planner) Exists(key, kind, name string) bool {
	p.mu.Lock()
	b := p.brokers[key]
	p.mu.Unlock()
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if kind == KindTopic {
		_, ok := b.prevTopics[name]
		return ok
	}
	return b.prevGroups[name]
}

// Known returns what the planner knows of a broker for a state file: the
// names in its last listings, every tombstone with its pairs, and the pairs
// of first lives of names that came back.
func (p *Planner) Known(key string) Recalled {
	p.mu.Lock()
	b := p.brokers[key]
	p.mu.Unlock()
	if b == nil {
		return Recalled{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var r Recalled
	for t := range b.prevTopics {
		r.Topics = append(r.Topics, t)
	}
	for g := range b.prevGroups {
		r.Groups = append(r.Groups, g)
	}
	for t, gs := range b.prevPairs {
		for _, g := range gs {
			r.Pairs = append(r.Pairs, [2]string{t, g})
		}
	}
	for _, s := range b.tombs {
		if s.kind == KindTopic {
			r.Topics = append(r.Topics, s.name)
		} else {
			r.Groups = append(r.Groups, s.name)
		}
		for other := range s.partners {
			if s.kind == KindTopic {
				r.Pairs = append(r.Pairs, [2]string{s.name, other})
			} else {
				r.Pairs = append(r.Pairs, [2]string{other, s.name})
			}
		}
	}
	for id, partners := range b.past {
		kind, name, _ := strings.Cut(id, ":")
		for other := range partners {
			if kind == KindTopic {
				r.Past = append(r.Past, [2]string{name, other})
			} else {
				r.Past = append(r.Past, [2]string{other, name})
			}
		}
	}
	return r
}

// Forget drops everything held for brokers not in keep, so a broker that
// left the cluster leaves no memory behind but its key in Departed.
func (p *Planner) Forget(keep map[string]bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range sortedKeys(p.brokers) {
		if !keep[k] {
			delete(p.brokers, k)
			p.departed = append(p.departed, k)
		}
	}
	if n := len(p.departed) - maxDeparted; n > 0 {
		p.departed = slices.Delete(p.departed, 0, n)
	}
}

// Departed lists the keys of the brokers Forget dropped that no Observe
// has brought back. A killed master leaves its namesrv's listing but keeps
// its topics for its restart: audit must not delete a topic cluster-wide
// while a master it would miss may still hold it.
func (p *Planner) Departed() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.departed)
}

// Observe takes a master's listings, updates what is known (tombstones,
// orphans, leftovers) and returns the keys to probe this cycle.
func (p *Planner) Observe(l *Listing) []Probe {
	b, r, recalled := p.broker(l.Key)
	b.mu.Lock()
	defer b.mu.Unlock()
	now := p.now()
	if !b.boot.IsZero() && !l.Boot.IsZero() && !l.Boot.Equal(b.boot) {
		b.restarted() // the broker's restart freed every stat item
	}
	if !l.Boot.IsZero() {
		b.boot = l.Boot
	}
	b.cur = l
	defer func() { b.cur = nil }()
	b.bury(l, now)
	if recalled {
		b.recall(l, r, now)
	}
	if l.Offsets != nil {
		b.derive(l, now)
	}
	b.leftovers(l, now)
	b.expire(l, now, p.cfg.TTL)
	b.dropped += int64(b.cap(p.cfg.MaxTombstones))
	b.remember(l)
	return b.plan(now, p.cfg)
}

// Record takes the answers to the probes Observe returned, in order, and
// returns the broker's report and what it shows of light message queues.
func (p *Planner) Record(key string, probes []Probe, answers []Answer) (*snapshot.LeakReport, *snapshot.LMQReport) {
	b, _, _ := p.broker(key)
	b.mu.Lock()
	defer b.mu.Unlock()
	now := p.now()
	asked := map[string]int{}
	for i, pr := range probes {
		if i >= len(answers) || !answers[i].Asked {
			b.unasked(pr)
			continue
		}
		asked[pr.Stats]++
		b.answer(pr, answers[i].Exists, now)
	}
	return b.report(asked), b.lmqReport()
}

// sortedKeys returns a set's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// popRetryOwnerAlive reports whether a %RETRY% topic's rest is a POP retry
// topic of a live group on a live topic: <group>+<topic> (v2) or
// <group>_<topic> (v1). Both halves must exist: a deleted group foo_x's
// retry topic is a leftover even while a group foo lives, unless a topic x
// lives too.
func popRetryOwnerAlive(rest string, groups map[string]bool, topics map[string]int) bool {
	for i := 0; i < len(rest); i++ {
		if rest[i] != '+' && rest[i] != '_' {
			continue
		}
		if _, ok := topics[rest[i+1:]]; ok && groups[rest[:i]] {
			return true
		}
	}
	return false
}

// isLMQ tells light message queues apart: they have offsets but never a
// topic config.
func isLMQ(topic string) bool { return strings.HasPrefix(topic, snapshot.LMQPrefix) }
