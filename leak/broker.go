package leak

// This file: what the planner remembers of one broker: its tombstones (deleted
// subjects), the stat keys they may hold and the fair queue of keys to
// ask. learn.go updates it from each listing; plan.go picks the probes
// and reads the answers.

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

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
	// past holds, by subject id, the partners of a tombstone whose name
	// came back (a group re-created): the pairs' stat items of its first
	// life stay in the broker until it restarts, so when the name is
	// deleted again its new tombstone takes them back, and so does a
	// partner deleted while the name lives (takeBack).
	past map[string]map[string]struct{}
}

func newBroker() *broker {
	return &broker{tombs: map[string]*subject{}, keys: map[Probe]*keyState{}, lmq: map[Probe]bool{}, lmqAns: map[Probe]lmqState{},
		past: map[string]map[string]struct{}{}}
}

// restarted forgets every tombstone and answer: the broker's restart freed
// the stat items they were about.
func (b *broker) restarted() {
	b.tombs = map[string]*subject{}
	b.keys = map[Probe]*keyState{}
	b.fresh, b.head, b.retry = nil, 0, nil
	b.lmqAns = map[Probe]lmqState{}
	b.past = map[string]map[string]struct{}{}
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
		if kind == KindTopic {
			b.growQueues(s, queues) // the pairs' per-queue keys need the count
		}
		b.takeBack(s)
	}
	if kind == KindTopic {
		b.growQueues(s, queues)
	}
	if !derived {
		s.derived = false // a deletion seen happening outranks a derivation
	}
	return s
}

// takeBack gives a new tombstone the pairs of first lives that are still
// in the broker: its own first life's partners, and every name of the
// other kind that came back and had it as a partner (a group deleted,
// re-created without a topic, then the topic deleted: the pair's items of
// the group's first life are now the topic's leak).
func (b *broker) takeBack(s *subject) {
	if past := b.past[s.id()]; past != nil {
		delete(b.past, s.id())
		for _, other := range slices.Sorted(maps.Keys(past)) {
			b.partner(s, other)
		}
	}
	prefix := KindGroup + ":"
	if s.kind == KindGroup {
		prefix = KindTopic + ":"
	}
	var others []string
	for id, partners := range b.past {
		if _, ok := partners[s.name]; ok && strings.HasPrefix(id, prefix) {
			others = append(others, id[len(prefix):])
		}
	}
	slices.Sort(others) // a stable queue order (see bury)
	for _, other := range others {
		b.partner(s, other)
	}
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
		for _, g := range slices.Sorted(maps.Keys(s.partners)) { // a stable queue order (see bury)
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
