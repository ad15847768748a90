package leak

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/defect"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// subject is a deleted topic or group and what it was seen with.
type subject struct {
	kind     string
	name     string
	partners map[string]struct{}
	queues   int
	at       time.Time
	// derived: found from the broker's own state or from history, not a
	// deletion this process saw happen.
	derived bool
	keys    []Probe
}

func (s *subject) id() string { return s.kind + ":" + s.name }

// Key states.
const (
	queued uint8 = iota // waiting in the fresh queue (or the retry list)
	held                // the broker answered: it still holds the item
	absent              // the broker answered: no such item
)

type keyState struct {
	// owners are the ids of the tombstones that imply the key (a pair of a
	// deleted topic and a deleted group is implied by both); the first
	// names it in reports.
	owners []string
	state  uint8
	at     time.Time // when last answered
}

type lmqState struct {
	asked, exists bool
	at            time.Time
}

// broker is what the planner knows of one master.
type broker struct {
	mu   sync.Mutex
	boot time.Time

	tombs map[string]*subject // by id
	keys  map[Probe]*keyState
	// fresh is the FIFO of never-asked keys (entries of dropped subjects
	// are skipped when reached); retry holds keys whose call failed, asked
	// first next cycle.
	fresh []Probe
	head  int
	retry []Probe

	lmq    map[Probe]bool // per-LMQ stat keys from the offsets
	lmqAns map[Probe]lmqState

	// cur is the listing being observed (nil between observations).
	cur *Listing
	// The last listings, to see what left them.
	seen       bool
	prevTopics map[string]int
	prevGroups map[string]bool
	prevPairs  map[string][]string

	orphans   []snapshot.OrphanedOffset
	leftover  []string
	lmqQueues map[string]int
	lmqGroups int
	dropped   int64 // tombstones pushed out by the cap, ever
	gen       int64 // bumped when a tombstone or a partner is learnt
}

func newBroker() *broker {
	return &broker{tombs: map[string]*subject{}, keys: map[Probe]*keyState{}, lmq: map[Probe]bool{}, lmqAns: map[Probe]lmqState{}}
}

// restarted forgets every tombstone and answer: the broker's restart freed
// the stat items they were about.
func (b *broker) restarted() {
	b.tombs = map[string]*subject{}
	b.keys = map[Probe]*keyState{}
	b.fresh, b.head, b.retry = nil, 0, nil
	b.lmqAns = map[Probe]lmqState{}
}

// tomb returns the tombstone of kind:name, making it (and queueing its
// keys) when new.
func (b *broker) tomb(kind, name string, queues int, now time.Time, derived bool) *subject {
	id := kind + ":" + name
	s := b.tombs[id]
	if s == nil {
		s = &subject{kind: kind, name: name, partners: map[string]struct{}{}, at: now, derived: derived}
		b.tombs[id] = s
		b.gen++
		b.enqueue(s, ownKeys(s))
	}
	if kind == KindTopic {
		b.growQueues(s, queues)
	}
	if !derived {
		s.derived = false // a deletion seen happening outranks a derivation
	}
	return s
}

// partner adds a topic's group or a group's topic to a tombstone and
// queues the keys the pair implies.
func (b *broker) partner(s *subject, other string) {
	if other == "" || isLMQ(other) {
		return
	}
	if _, ok := s.partners[other]; ok {
		return
	}
	s.partners[other] = struct{}{}
	b.gen++
	topic, group := s.name, other
	if s.kind == KindGroup {
		topic, group = other, s.name
	}
	b.enqueue(s, pairKeys(topic, group))
	for q := range b.topicQueues(topic) {
		b.enqueue(s, []Probe{pairQueueKey(topic, group, q)})
	}
}

// unknownQueues stands for a topic whose queue count was never seen (a
// name recalled from history): mqadmin updateTopic's default.
const unknownQueues = 8

// topicQueues is the best known queue count of a topic.
func (b *broker) topicQueues(topic string) int {
	if s := b.tombs[KindTopic+":"+topic]; s != nil && s.queues > 0 {
		return s.queues
	}
	if b.cur != nil {
		if n := b.cur.Topics[topic]; n > 0 {
			return n
		}
	}
	if n := b.prevTopics[topic]; n > 0 {
		return n
	}
	return unknownQueues
}

// growQueues raises a deleted topic's queue count and queues the per-queue
// keys of the new queues, its own and its pairs'. Every queue is asked:
// a group that pulled from some queues only leaves items for those.
func (b *broker) growQueues(s *subject, queues int) {
	if queues <= 0 {
		queues = unknownQueues
	}
	for q := s.queues; q < queues; q++ {
		b.enqueue(s, topicQueueKeys(s.name, q))
		for g := range s.partners {
			b.enqueue(s, []Probe{pairQueueKey(s.name, g, q)})
		}
	}
	s.queues = max(s.queues, queues)
}

func (b *broker) enqueue(s *subject, keys []Probe) {
	id := s.id()
	for _, k := range keys {
		s.keys = append(s.keys, k)
		if ks := b.keys[k]; ks != nil {
			ks.owners = append(ks.owners, id) // another subject queued it already
			continue
		}
		b.keys[k] = &keyState{owners: []string{id}}
		b.fresh = append(b.fresh, k)
	}
}

// drop forgets a tombstone and its keys.
func (b *broker) drop(id string) {
	s := b.tombs[id]
	if s == nil {
		return
	}
	delete(b.tombs, id)
	for _, k := range s.keys {
		ks := b.keys[k]
		if ks == nil {
			continue
		}
		ks.owners = slices.DeleteFunc(ks.owners, func(o string) bool { return o == id })
		if len(ks.owners) == 0 {
			delete(b.keys, k)
		}
	}
}

// bury turns topics and groups that left the listings since the last
// cycle into tombstones, with the partners they were seen with.
func (b *broker) bury(l *Listing, now time.Time) {
	if !b.seen {
		return
	}
	var goneGroups map[string]*subject
	for name, queues := range b.prevTopics {
		if _, ok := l.Topics[name]; ok {
			continue
		}
		s := b.tomb(KindTopic, name, queues, now, false)
		for _, g := range b.prevPairs[name] {
			b.partner(s, g)
		}
	}
	for name := range b.prevGroups {
		if l.Groups[name] {
			continue
		}
		if goneGroups == nil {
			goneGroups = map[string]*subject{}
		}
		goneGroups[name] = b.tomb(KindGroup, name, 0, now, false)
	}
	if goneGroups == nil {
		return
	}
	for topic, groups := range b.prevPairs {
		for _, g := range groups {
			if s := goneGroups[g]; s != nil {
				b.partner(s, topic)
			}
		}
	}
}

// recall makes tombstones of names history remembers and the listings no
// longer hold.
func (b *broker) recall(l *Listing, r Recalled, now time.Time) {
	if !r.Boot.IsZero() && !l.Boot.IsZero() && !r.Boot.Equal(l.Boot) {
		return // the broker restarted since: its restart freed their items
	}
	for _, t := range r.Topics {
		if _, ok := l.Topics[t]; !ok && !isLMQ(t) {
			b.tomb(KindTopic, t, 0, now, true) // queue count unknown
		}
	}
	for _, g := range r.Groups {
		if !l.Groups[g] {
			b.tomb(KindGroup, g, 0, now, true)
		}
	}
	for _, p := range r.Pairs {
		topic, group := p[0], p[1]
		if s := b.tombs[KindTopic+":"+topic]; s != nil {
			b.partner(s, group)
		}
		if s := b.tombs[KindGroup+":"+group]; s != nil {
			b.partner(s, topic)
		}
	}
}

// derive finds leftovers in the broker's own offset table, so a freshly
// started exporter sees deletions that happened before it ran.
func (b *broker) derive(l *Listing, now time.Time) {
	b.orphans = b.orphans[:0:0]
	b.lmqQueues = map[string]int{}
	lmqGroups := map[string]bool{}
	lmq := map[Probe]bool{}
	for _, e := range l.Offsets {
		if isLMQ(e.Topic) {
			b.lmqQueues[snapshot.LMQParent(e.Topic)]++
			lmqGroups[e.Group] = true
			lmq[Probe{"GROUP_GET_NUMS", e.Topic + "@" + e.Group}] = true
			continue // LMQs never have a topic config: not orphans
		}
		_, topicLive := l.Topics[e.Topic]
		groupLive := l.Groups[e.Group]
		if topicLive && groupLive || snapshot.ClassifyGroup(e.Group) == snapshot.GroupSystem {
			// The broker's own groups (POP revive, the transaction check)
			// commit offsets without a subscription config, on topics that
			// may have no topic config (4.9.7's RMQ_SYS_TRANS_OP_HALF_TOPIC).
			continue
		}
		missing := "both"
		switch {
		case topicLive:
			missing = "group"
		case groupLive:
			missing = "topic"
		}
		b.orphans = append(b.orphans, snapshot.OrphanedOffset{Topic: e.Topic, Group: e.Group, Missing: missing})
		if !topicLive {
			s := b.tomb(KindTopic, e.Topic, e.Queues, now, true)
			b.partner(s, e.Group)
		}
		if !groupLive {
			b.partner(b.tomb(KindGroup, e.Group, 0, now, true), e.Topic)
		}
	}
	b.lmqGroups = len(lmqGroups)
	for k := range b.lmqAns {
		if !lmq[k] {
			delete(b.lmqAns, k) // that LMQ's offsets are gone: forget it
		}
	}
	b.lmq = lmq
}

// leftovers lists %RETRY%/%DLQ% topics whose group is gone.
func (b *broker) leftovers(l *Listing, now time.Time) {
	b.leftover = b.leftover[:0:0]
	for name := range l.Topics {
		g, ok := snapshot.GroupOfTopic(name)
		if !ok || l.Groups[g] {
			continue
		}
		if strings.HasPrefix(name, snapshot.RetryPrefix) && popRetryOwnerAlive(g, l.Groups, l.Topics) {
			continue
		}
		b.leftover = append(b.leftover, name)
		b.tomb(KindGroup, g, 0, now, true)
	}
	sort.Strings(b.leftover)
}

// expire drops tombstones of subjects that exist again (a topic re-created
// under the same name starts fresh) and, with a TTL, old ones.
func (b *broker) expire(l *Listing, now time.Time, ttl time.Duration) {
	for id, s := range b.tombs {
		_, topicLive := l.Topics[s.name]
		alive := (s.kind == KindTopic && topicLive) || (s.kind == KindGroup && l.Groups[s.name])
		if alive {
			b.handOver(s)
		}
		if alive || (ttl > 0 && now.Sub(s.at) > ttl) {
			b.drop(id)
		}
	}
}

// handOver gives the pairs of a subject that lives again to its partners
// that are still deleted: a pair's items belong to whichever side is gone
// (a group deleted with a topic, then re-created, leaves the pair's items
// to the deleted topic).
func (b *broker) handOver(s *subject) {
	other := KindGroup
	if s.kind == KindGroup {
		other = KindTopic
	}
	for p := range s.partners {
		if t := b.tombs[other+":"+p]; t != nil {
			b.partner(t, s.name)
		}
	}
}

// cap drops tombstones beyond max: those found clean first, then the
// oldest. It returns how many went.
func (b *broker) cap(max int) int {
	over := len(b.tombs) - max
	if over <= 0 {
		return 0
	}
	ids := make([]string, 0, len(b.tombs))
	for id := range b.tombs {
		ids = append(ids, id)
	}
	clean := func(id string) bool {
		for _, k := range b.tombs[id].keys {
			if ks := b.keys[k]; ks != nil && ks.state != absent {
				return false
			}
		}
		return true
	}
	sort.Slice(ids, func(i, j int) bool {
		ci, cj := clean(ids[i]), clean(ids[j])
		if ci != cj {
			return ci
		}
		ti, tj := b.tombs[ids[i]].at, b.tombs[ids[j]].at
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return ids[i] < ids[j]
	})
	for _, id := range ids[:over] {
		b.drop(id)
	}
	return over
}

// remember keeps this cycle's listings for the next bury.
// A name or pair not in the last listings bumps the generation: a state
// file must hold it before it can be deleted while no exporter runs.
func (b *broker) remember(l *Listing) {
	if !b.seen || grew(l.Topics, b.prevTopics) || grew(l.Groups, b.prevGroups) || pairsGrew(l.Pairs, b.prevPairs) {
		b.gen++
	}
	b.seen = true
	b.prevTopics, b.prevGroups, b.prevPairs = l.Topics, l.Groups, l.Pairs
}

// grew reports whether cur holds a key prev does not.
func grew[V any](cur, prev map[string]V) bool {
	for k := range cur {
		if _, ok := prev[k]; !ok {
			return true
		}
	}
	return false
}

func pairsGrew(cur, prev map[string][]string) bool {
	for t, gs := range cur {
		if !isSubset(gs, prev[t]) {
			return true
		}
	}
	return false
}

func isSubset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// plan picks this cycle's probes: failed keys, then the fresh queue in
// order, then held keys due for a re-check (stalest first), then LMQs.
func (b *broker) plan(now time.Time, cfg Config) []Probe {
	budget := cfg.Probes
	var out []Probe
	take := func(k Probe) bool {
		if len(out) >= budget {
			return false
		}
		out = append(out, k)
		return true
	}
	retry := b.retry
	b.retry = nil
	for i, k := range retry {
		if ks := b.keys[k]; ks == nil || ks.state != queued {
			continue
		}
		if !take(k) {
			b.retry = append(b.retry, retry[i:]...)
			break
		}
	}
	if defect.On(defect.UnfairProbes) {
		b.unfair(take)
	}
	for b.head < len(b.fresh) && len(out) < budget {
		k := b.fresh[b.head]
		b.head++
		if ks := b.keys[k]; ks != nil && ks.state == queued {
			take(k)
		}
	}
	b.compact()
	if len(out) < budget {
		b.recheck(now, cfg.Reprobe, take)
	}
	if len(out) < budget {
		b.planLMQ(now, cfg.Reprobe, take)
	}
	return out
}

// unfair is the re-injectable defect of asking queued keys in subject-name
// order, which starves topic keys behind group keys (package defect).
func (b *broker) unfair(take func(Probe) bool) {
	var queuedKeys []Probe
	for k, ks := range b.keys {
		if ks.state == queued {
			queuedKeys = append(queuedKeys, k)
		}
	}
	sort.Slice(queuedKeys, func(i, j int) bool {
		oi, oj := b.keys[queuedKeys[i]].owners[0], b.keys[queuedKeys[j]].owners[0]
		if oi != oj {
			return oi < oj
		}
		return queuedKeys[i].Stats+queuedKeys[i].Key < queuedKeys[j].Stats+queuedKeys[j].Key
	})
	for _, k := range queuedKeys {
		if !take(k) {
			return
		}
	}
}

// compact drops the consumed head of the fresh queue once it is most of it.
func (b *broker) compact() {
	if b.head > 1024 && b.head*2 > len(b.fresh) {
		b.fresh = append(b.fresh[:0:0], b.fresh[b.head:]...)
		b.head = 0
	}
	if b.head == len(b.fresh) {
		b.fresh, b.head = b.fresh[:0], 0
	}
}

func (b *broker) recheck(now time.Time, every time.Duration, take func(Probe) bool) {
	var due []Probe
	for k, ks := range b.keys {
		if ks.state == held && now.Sub(ks.at) >= every {
			due = append(due, k)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		ai, aj := b.keys[due[i]].at, b.keys[due[j]].at
		if !ai.Equal(aj) {
			return ai.Before(aj)
		}
		return due[i].Key < due[j].Key || (due[i].Key == due[j].Key && due[i].Stats < due[j].Stats)
	})
	for _, k := range due {
		if !take(k) {
			return
		}
	}
}

func (b *broker) planLMQ(now time.Time, every time.Duration, take func(Probe) bool) {
	var never, due []Probe
	for k := range b.lmq {
		a, ok := b.lmqAns[k]
		switch {
		case !ok || !a.asked:
			never = append(never, k)
		case now.Sub(a.at) >= every:
			due = append(due, k)
		}
	}
	byKey := func(ks []Probe) {
		sort.Slice(ks, func(i, j int) bool { return ks[i].Key < ks[j].Key })
	}
	byKey(never)
	byKey(due)
	for _, k := range append(never, due...) {
		if !take(k) {
			return
		}
	}
}

// unasked puts a key whose call failed back at the head.
func (b *broker) unasked(k Probe) {
	if ks := b.keys[k]; ks != nil && ks.state == queued {
		b.retry = append(b.retry, k)
	}
}

// answer records what the broker said of a key.
func (b *broker) answer(k Probe, exists bool, now time.Time) {
	if b.lmq[k] {
		b.lmqAns[k] = lmqState{asked: true, exists: exists, at: now}
		return
	}
	ks := b.keys[k]
	if ks == nil {
		return // its tombstone went meanwhile
	}
	ks.state, ks.at = absent, now
	if exists {
		ks.state = held
	}
}

// backlog counts keys waiting for their first answer.
func (b *broker) backlog() int {
	n := 0
	for _, ks := range b.keys {
		if ks.state == queued {
			n++
		}
	}
	return n
}

func (b *broker) report(asked map[string]int) *snapshot.LeakReport {
	rep := &snapshot.LeakReport{StatItems: map[string]int{}, ProbedKeys: asked,
		Tombstones: map[string]int{KindTopic: 0, KindGroup: 0}, Backlog: b.backlog(), TombstonesDropped: b.dropped,
		OrphanedOffsets: b.orphans, LeftoverTopics: b.leftover}
	for k, ks := range b.keys {
		if ks.state != held {
			continue
		}
		rep.StatItems[k.Stats]++
		kind, name, _ := strings.Cut(ks.owners[0], ":")
		rep.Items = append(rep.Items, snapshot.LeakedItem{Stats: k.Stats, Key: k.Key, Subject: name, Kind: kind, Queues: perQueue(k)})
	}
	for _, s := range b.tombs {
		rep.Tombstones[s.kind]++
	}
	sort.Slice(rep.Items, func(i, j int) bool {
		a, c := rep.Items[i], rep.Items[j]
		if a.Stats != c.Stats {
			return a.Stats < c.Stats
		}
		return a.Key < c.Key
	})
	sort.Slice(rep.OrphanedOffsets, func(i, j int) bool {
		a, c := rep.OrphanedOffsets[i], rep.OrphanedOffsets[j]
		return a.Topic+"@"+a.Group < c.Topic+"@"+c.Group
	})
	return rep
}

func (b *broker) lmqReport() *snapshot.LMQReport {
	if len(b.lmqQueues) == 0 {
		return nil
	}
	r := &snapshot.LMQReport{Queues: b.lmqQueues, Groups: b.lmqGroups}
	for k := range b.lmq {
		if a, ok := b.lmqAns[k]; ok && a.asked {
			r.ProbedKeys++
			if a.exists {
				r.StatItems++
			}
		}
	}
	return r
}

// ownKeys lists the keys a subject leaves by itself that are not per
// queue (growQueues adds those of a topic).
func ownKeys(s *subject) []Probe {
	switch s.kind {
	case KindTopic:
		return []Probe{{"TOPIC_PUT_NUMS", s.name}, {"TOPIC_PUT_SIZE", s.name}}
	case KindGroup:
		var out []Probe
		for _, prefix := range []string{snapshot.RetryPrefix, snapshot.DLQPrefix} {
			out = append(out, Probe{"TOPIC_PUT_NUMS", prefix + s.name}, Probe{"TOPIC_PUT_SIZE", prefix + s.name})
		}
		return out
	}
	return nil
}

// topicQueueKeys lists the per-queue keys of one queue of a topic.
func topicQueueKeys(topic string, q int) []Probe {
	qs := strconv.Itoa(q)
	return []Probe{{"QUEUE_PUT_NUMS", topic + "@" + qs}, {"QUEUE_PUT_SIZE", topic + "@" + qs}, {"TOPIC_PUT_LATENCY", qs + "@" + topic}}
}

// pairQueueKey is a pair's per-queue key for one queue.
func pairQueueKey(topic, group string, q int) Probe {
	return Probe{"GROUP_GET_LATENCY", strconv.Itoa(q) + "@" + topic + "@" + group}
}

// perQueue tells a per-queue key (one item per queue of its topic): it is
// reported with Queues 1, one queue's item.
func perQueue(k Probe) int {
	switch k.Stats {
	case "TOPIC_PUT_LATENCY", "QUEUE_PUT_NUMS", "QUEUE_PUT_SIZE":
		return 1
	case "GROUP_GET_LATENCY": // queueId@topic@group; the topic@group form is not per queue
		if q, rest, ok := strings.Cut(k.Key, "@"); ok && strings.Contains(rest, "@") {
			if _, err := strconv.Atoi(q); err == nil {
				return 1
			}
		}
	}
	return 0
}

// pairKeys lists the keys one (topic, group) pair leaves.
func pairKeys(topic, group string) []Probe {
	tg := topic + "@" + group
	return []Probe{{"GROUP_GET_NUMS", tg}, {"GROUP_GET_SIZE", tg},
		{"GROUP_GET_LATENCY", tg}, {"SNDBCK_PUT_NUMS", tg}, {"GROUP_ACK_NUMS", tg}, {"GROUP_CK_NUMS", tg},
		{"SNDBCK2DLQ_TIMES", "null@" + tg + "@SEND_BACK_TO_DLQ"}}
}
