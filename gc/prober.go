package gc

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// ProberConfig bounds what leak probing costs and remembers.
type ProberConfig struct {
	// MaxProbes is how many stat keys one broker is asked per cycle.
	MaxProbes int
	// TombstoneTTL is how long a deleted topic or group is remembered.
	TombstoneTTL time.Duration
	// MaxTombstones caps remembered deletions per broker; the oldest go first.
	MaxTombstones int
	// Reprobe is how long a probe result holds before it is asked again.
	Reprobe time.Duration
	// CallTimeout bounds one call.
	CallTimeout time.Duration
}

// Prober finds what deleted topics and groups left behind on a broker:
// stat items it still answers for them, consumer offsets that outlive them,
// and %RETRY%/%DLQ% topics of groups that are gone.
type Prober struct {
	adm *admin.Client
	cfg ProberConfig
	now func() time.Time

	mu      sync.Mutex
	brokers map[string]*brokerLeaks // by broker key
}

// NewProber creates a prober with defaults for unset limits.
func NewProber(adm *admin.Client, cfg ProberConfig) *Prober {
	if cfg.MaxProbes <= 0 {
		cfg.MaxProbes = 64
	}
	if cfg.TombstoneTTL <= 0 {
		cfg.TombstoneTTL = 6 * time.Hour
	}
	if cfg.MaxTombstones <= 0 {
		cfg.MaxTombstones = 5000
	}
	if cfg.Reprobe <= 0 {
		cfg.Reprobe = 5 * time.Minute
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 5 * time.Second
	}
	return &Prober{adm: adm, cfg: cfg, now: time.Now, brokers: map[string]*brokerLeaks{}}
}

// subject is a deleted topic or group and what it was seen with.
type subject struct {
	kind     Kind   // KindTopic or KindGroup
	name     string // topic or group name
	partners map[string]struct{}
	queues   int
	at       time.Time
	derived  bool // found from the broker's own state, not a deletion we saw
}

type probeKey struct{ stats, key string }

type probeResult struct {
	subject string // kind:name
	exists  bool
	at      time.Time
}

type brokerLeaks struct {
	mu      sync.Mutex
	tombs   map[string]*subject // kind:name
	results map[probeKey]probeResult
	// lmq holds, per light message queue and group seen in the offsets,
	// the per-LMQ stat key to ask about (enableLmqStats keeps one per LMQ
	// and never removes it).
	lmq map[probeKey]string
}

func (p *Prober) broker(key string) *brokerLeaks {
	p.mu.Lock()
	defer p.mu.Unlock()
	bl := p.brokers[key]
	if bl == nil {
		bl = &brokerLeaks{tombs: map[string]*subject{}, results: map[probeKey]probeResult{}, lmq: map[probeKey]string{}}
		p.brokers[key] = bl
	}
	return bl
}

// Forget drops everything held for brokers not in keep, so a broker that
// left the cluster leaves no memory behind.
func (p *Prober) Forget(keep map[string]bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.brokers {
		if !keep[k] {
			delete(p.brokers, k)
		}
	}
}

// Observe implements poller.Observer: it drops state of vanished brokers.
func (p *Prober) Observe(s *snapshot.Snapshot) {
	keep := map[string]bool{}
	for _, b := range s.Brokers {
		keep[b.Key()] = true
	}
	p.Forget(keep)
}

// Probe runs on a master whose listings just answered. prev is its last
// good data (nil on the first cycle).
func (p *Prober) Probe(ctx context.Context, b *snapshot.Broker, prev *snapshot.Broker) *snapshot.LeakReport {
	bl := p.broker(b.Key())
	bl.mu.Lock()
	defer bl.mu.Unlock()
	now := p.now()
	topics := map[string]*snapshot.Topic{}
	for i := range b.Topics {
		topics[b.Topics[i].Name] = &b.Topics[i]
	}
	groups := map[string]bool{}
	for _, g := range b.Groups {
		groups[g.Name] = true
	}
	p.bury(bl, b, prev, topics, groups, now)
	rep := &snapshot.LeakReport{StatItems: map[string]int{}, ProbedKeys: map[string]int{}}

	var offsets *admin.ConsumerOffsets
	cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
	offsets, err := p.adm.AllConsumerOffsets(cctx, b.Addr)
	cancel()
	if err == nil {
		p.derive(bl, b, rep, offsets, topics, groups, now)
	}
	p.leftoverTopics(bl, rep, b, groups, now)
	p.expire(bl, topics, groups, now)
	p.probe(ctx, bl, b.Addr, now)
	p.report(bl, b, rep)
	rep.Tombstones = map[string]int{string(KindTopic): 0, string(KindGroup): 0}
	for _, s := range bl.tombs {
		if !s.derived {
			rep.Tombstones[string(s.kind)]++
		}
	}
	return rep
}

// bury turns topics and groups that left the listings into tombstones,
// with the partners they were seen with (a topic's groups, a group's topics).
func (p *Prober) bury(bl *brokerLeaks, b, prev *snapshot.Broker, topics map[string]*snapshot.Topic, groups map[string]bool, now time.Time) {
	if prev == nil {
		return
	}
	for _, t := range prev.Topics {
		if topics[t.Name] != nil {
			continue
		}
		s := bl.tomb(KindTopic, t.Name, now)
		s.derived = false
		s.queues = max(s.queues, t.WriteQueues, t.ReadQueues)
		for _, g := range prev.Groups {
			for _, gt := range g.Topics {
				if gt.Topic == t.Name {
					s.partners[g.Name] = struct{}{}
				}
			}
		}
	}
	for _, g := range prev.Groups {
		if groups[g.Name] {
			continue
		}
		s := bl.tomb(KindGroup, g.Name, now)
		s.derived = false
		for _, gt := range g.Topics {
			s.partners[gt.Topic] = struct{}{}
		}
	}
	bl.cap(p.cfg.MaxTombstones)
}

func (bl *brokerLeaks) tomb(kind Kind, name string, now time.Time) *subject {
	id := string(kind) + ":" + name
	s := bl.tombs[id]
	if s == nil {
		s = &subject{kind: kind, name: name, partners: map[string]struct{}{}, at: now, derived: true}
		bl.tombs[id] = s
	}
	return s
}

// cap drops the oldest tombstones beyond max.
func (bl *brokerLeaks) cap(max int) {
	if len(bl.tombs) <= max {
		return
	}
	ids := make([]string, 0, len(bl.tombs))
	for id := range bl.tombs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return bl.tombs[ids[i]].at.Before(bl.tombs[ids[j]].at) })
	for _, id := range ids[:len(ids)-max] {
		bl.drop(id)
	}
}

func (bl *brokerLeaks) drop(id string) {
	delete(bl.tombs, id)
	for k, r := range bl.results {
		if r.subject == id {
			delete(bl.results, k)
		}
	}
}

// derive finds leftovers in the broker's own offset table, so a freshly
// started exporter sees deletions that happened before it ran.
func (p *Prober) derive(bl *brokerLeaks, b *snapshot.Broker, rep *snapshot.LeakReport, offsets *admin.ConsumerOffsets, topics map[string]*snapshot.Topic, groups map[string]bool, now time.Time) {
	lmq := map[string]int{}
	lmqGroups := map[string]bool{}
	lmqKeys := map[probeKey]string{}
	for _, e := range offsets.Entries {
		if strings.HasPrefix(e.Topic, snapshot.LMQPrefix) {
			lmq[snapshot.LMQParent(e.Topic)]++
			lmqGroups[e.Group] = true
			lmqKeys[probeKey{"GROUP_GET_NUMS", e.Topic + "@" + e.Group}] = "lmq:" + e.Topic
			continue // LMQs never have a topic config: not orphans
		}
		topicGone, groupGone := topics[e.Topic] == nil, !groups[e.Group]
		if !topicGone && !groupGone {
			continue
		}
		missing := "both"
		switch {
		case !topicGone:
			missing = "group"
		case !groupGone:
			missing = "topic"
		}
		rep.OrphanedOffsets = append(rep.OrphanedOffsets, snapshot.OrphanedOffset{Topic: e.Topic, Group: e.Group, Missing: missing})
		if topicGone {
			s := bl.tomb(KindTopic, e.Topic, now)
			s.partners[e.Group] = struct{}{}
			s.queues = max(s.queues, len(e.Offsets))
		}
		if groupGone {
			bl.tomb(KindGroup, e.Group, now).partners[e.Topic] = struct{}{}
		}
	}
	if len(lmq) > 0 {
		b.LMQ = &snapshot.LMQReport{Queues: lmq, Groups: len(lmqGroups)}
	}
	for k, id := range bl.results {
		if strings.HasPrefix(id.subject, "lmq:") && lmqKeys[k] == "" {
			delete(bl.results, k) // that LMQ's offsets are gone: forget it
		}
	}
	bl.lmq = lmqKeys
}

// leftoverTopics lists %RETRY%/%DLQ% topics whose group is gone.
func (p *Prober) leftoverTopics(bl *brokerLeaks, rep *snapshot.LeakReport, b *snapshot.Broker, groups map[string]bool, now time.Time) {
	for _, t := range b.Topics {
		if t.Kind != snapshot.KindRetry && t.Kind != snapshot.KindDLQ {
			continue
		}
		g, _ := snapshot.GroupOfTopic(t.Name)
		if t.Kind == snapshot.KindRetry && popRetryOwnerAlive(g, groups) {
			continue
		}
		if !groups[g] {
			rep.LeftoverTopics = append(rep.LeftoverTopics, t.Name)
			bl.tomb(KindGroup, g, now)
		}
	}
}

// popRetryOwnerAlive reports whether a retry topic is a POP retry topic of
// a live group: %RETRY%<group>+<topic> (v2) or %RETRY%<group>_<topic> (v1).
func popRetryOwnerAlive(name string, groups map[string]bool) bool {
	for i := 0; i < len(name); i++ {
		if (name[i] == '+' || name[i] == '_') && groups[name[:i]] {
			return true
		}
	}
	return false
}

// expire drops tombstones past their TTL and subjects that exist again (a
// topic re-created under the same name starts fresh).
func (p *Prober) expire(bl *brokerLeaks, topics map[string]*snapshot.Topic, groups map[string]bool, now time.Time) {
	for id, s := range bl.tombs {
		alive := (s.kind == KindTopic && topics[s.name] != nil) || (s.kind == KindGroup && groups[s.name])
		if alive || now.Sub(s.at) > p.cfg.TombstoneTTL {
			bl.drop(id)
		}
	}
}

// keys lists every stat key a deleted subject may have left, one per key
// shape (queue 0 stands for a topic's queues: one answer proves the leak).
func keys(s *subject) []probeKey {
	var out []probeKey
	add := func(stats, key string) { out = append(out, probeKey{stats, key}) }
	pairs := func(topic, group string) {
		tg := topic + "@" + group
		add("GROUP_GET_NUMS", tg)
		add("GROUP_GET_SIZE", tg)
		add("GROUP_GET_LATENCY", "0@"+tg)
		add("GROUP_GET_LATENCY", tg)
		add("SNDBCK_PUT_NUMS", tg)
		add("GROUP_ACK_NUMS", tg)
		add("GROUP_CK_NUMS", tg)
		add("SNDBCK2DLQ_TIMES", "null@"+tg+"@SEND_BACK_TO_DLQ")
	}
	partners := make([]string, 0, len(s.partners))
	for p := range s.partners {
		partners = append(partners, p)
	}
	sort.Strings(partners)
	switch s.kind {
	case KindTopic:
		add("TOPIC_PUT_NUMS", s.name)
		add("TOPIC_PUT_SIZE", s.name)
		add("QUEUE_PUT_NUMS", s.name+"@0")
		add("QUEUE_PUT_SIZE", s.name+"@0")
		add("TOPIC_PUT_LATENCY", "0@"+s.name)
		for _, g := range partners {
			pairs(s.name, g)
		}
	case KindGroup:
		for _, t := range partners {
			pairs(t, s.name)
		}
		for _, prefix := range []string{snapshot.RetryPrefix, snapshot.DLQPrefix} {
			add("TOPIC_PUT_NUMS", prefix+s.name)
			add("TOPIC_PUT_SIZE", prefix+s.name)
		}
	}
	return out
}

// probe asks up to MaxProbes keys: never-asked keys first, then the stalest.
func (p *Prober) probe(ctx context.Context, bl *brokerLeaks, addr string, now time.Time) {
	type job struct {
		k   probeKey
		id  string
		age time.Duration
	}
	var jobs []job
	ids := make([]string, 0, len(bl.tombs))
	for id := range bl.tombs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		for _, k := range keys(bl.tombs[id]) {
			r, asked := bl.results[k]
			switch {
			case !asked:
				jobs = append(jobs, job{k, id, 1 << 62})
			case now.Sub(r.at) >= p.cfg.Reprobe:
				jobs = append(jobs, job{k, id, now.Sub(r.at)})
			}
		}
	}
	lmqKeys := make([]probeKey, 0, len(bl.lmq))
	for k := range bl.lmq {
		lmqKeys = append(lmqKeys, k)
	}
	sort.Slice(lmqKeys, func(i, j int) bool { return lmqKeys[i].key < lmqKeys[j].key })
	for _, k := range lmqKeys {
		r, asked := bl.results[k]
		switch {
		case !asked:
			jobs = append(jobs, job{k, bl.lmq[k], 1 << 61}) // after never-asked deletions
		case now.Sub(r.at) >= p.cfg.Reprobe:
			jobs = append(jobs, job{k, bl.lmq[k], now.Sub(r.at)})
		}
	}
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].age > jobs[j].age })
	if len(jobs) > p.cfg.MaxProbes {
		jobs = jobs[:p.cfg.MaxProbes]
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			return
		}
		cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
		_, err := p.adm.ViewBrokerStatsData(cctx, addr, j.k.stats, j.k.key)
		cancel()
		switch {
		case err == nil:
			bl.results[j.k] = probeResult{subject: j.id, exists: true, at: now}
		case admin.IsStatsNotExist(err):
			bl.results[j.k] = probeResult{subject: j.id, exists: false, at: now}
		default:
			// A failed call says nothing about the item: ask again later.
		}
	}
}

func (p *Prober) report(bl *brokerLeaks, b *snapshot.Broker, rep *snapshot.LeakReport) {
	for k, r := range bl.results {
		if strings.HasPrefix(r.subject, "lmq:") {
			if b.LMQ != nil {
				b.LMQ.ProbedKeys++
				if r.exists {
					b.LMQ.StatItems++
				}
			}
			continue
		}
		rep.ProbedKeys[k.stats]++
		if r.exists {
			rep.StatItems[k.stats]++
			kind, name, _ := strings.Cut(r.subject, ":")
			rep.Items = append(rep.Items, snapshot.LeakedItem{Stats: k.stats, Key: k.key, Subject: name, Kind: kind})
		}
	}
	sort.Slice(rep.Items, func(i, j int) bool {
		a, b := rep.Items[i], rep.Items[j]
		if a.Stats != b.Stats {
			return a.Stats < b.Stats
		}
		return a.Key < b.Key
	})
	sort.Slice(rep.OrphanedOffsets, func(i, j int) bool {
		a, b := rep.OrphanedOffsets[i], rep.OrphanedOffsets[j]
		return a.Topic+"@"+a.Group < b.Topic+"@"+b.Group
	})
	sort.Strings(rep.LeftoverTopics)
}
