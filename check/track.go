package check

import (
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// The probe bound. A deletion the exporter could know of (its subject was
// listed in a cycle that reached the broker) makes probe keys: a topic
// TopicKeys plus TopicQueueKeys per queue, a group GroupKeys, and every
// (topic, group) pair it had offsets with PairKeys plus PairQueueKeys per
// queue of the topic. Every leaked stat item of the deletion must be
// reported once a fair first-in first-out queue of keys, asked LeakProbes
// a cycle in the cycles that reach the broker, has asked its last key,
// plus ProbeSlack cycles. In a quiet period that is
// B = ceil(backlog/LeakProbes) + ProbeSlack cycles (QuietBound).
const (
	// TopicKeys are a deleted topic's own: TOPIC_PUT_NUMS, TOPIC_PUT_SIZE.
	TopicKeys = 2
	// TopicQueueKeys are its per queue: QUEUE_PUT_NUMS, QUEUE_PUT_SIZE
	// (<topic>@<queue>), TOPIC_PUT_LATENCY (<queue>@<topic>).
	TopicQueueKeys = 3
	// PairKeys are a (topic, group) pair's: GROUP_GET_NUMS, GROUP_GET_SIZE,
	// GROUP_GET_LATENCY (topic@group), SNDBCK_PUT_NUMS, SNDBCK2DLQ_TIMES,
	// GROUP_ACK_NUMS, GROUP_CK_NUMS.
	PairKeys = 7
	// PairQueueKeys are its per queue: GROUP_GET_LATENCY (<queue>@topic@group).
	PairQueueKeys = 1
	// GroupKeys are a deleted group's own: TOPIC_PUT_NUMS and
	// TOPIC_PUT_SIZE of its %RETRY% and %DLQ% topics.
	GroupKeys = 4
	// ProbeSlack is the "+2" of the bound: the cycle that notices the
	// deletion may end before the probes, and the exporter's key shapes
	// may order the queue a little differently.
	ProbeSlack = 2
	// RecalledQueues is the queue count a restarted exporter assumes for
	// a topic it knows only by name (history holds names, not queue
	// counts): its per-queue keys are asked for this many queues.
	RecalledQueues = 8
)

// QuietBound is B: the cycles after the last deletion within which every
// leaked item is reported, for a backlog of keys and a probe budget.
func QuietBound(backlog, probes int) int { return (backlog+probes-1)/probes + ProbeSlack }

// event is one operation's deletions on a broker: the keys they make and
// the items they leaked.
type event struct {
	keys      int                // keys the deletions make
	recalled  int                // the keys for an exporter that recalls them by name
	left      int                // keys not yet asked in the ideal queue
	drained   int                // cycle that asked the last of them; 0 while queued
	items     map[itemKey]string // leaked item -> its deleted subject ("topic:x")
	confirmed bool               // a cycle that reached the broker saw the deletions
}

// track is what the checker remembers of one broker across cycles.
type track struct {
	streak    int             // consecutive cycles the broker was not reached, this one included
	reachedBy int             // exporter build (builtAt) that last reached it; -1 never
	lastReach *brokerModel    // the truth at the last cycle that reached it
	allowed   *entities       // everything listed since that cycle
	seen      map[string]bool // "topic:x", "group:x" listed in a cycle that reached the broker
	offlineAt map[string]int  // group -> reachedN when it last had no client
	churned   map[string]bool // "topic:x"/"group:x" deleted or re-created since the last cycle
	fifo      []*event
	done      []*event
	loose     map[itemKey]bool // leaked by deletions the exporter could not know of
	shrunk    int              // cycle from which fewer items leak (restart, re-creation)
	restarted int              // cycle from which the broker runs with a new boot time
	reached   bool             // this cycle
	reachedN  int              // cycles that reached the broker so far
	// lives are pairs of first lives: the exporter saw the pair and a
	// side's deletion, and that side came back; the pair's items stay in
	// the broker until it restarts, owed when either side is deleted next,
	// across exporter restarts (the state file keeps them).
	lives map[simbroker.Offset]bool
}

func newTrack() *track {
	return &track{reachedBy: -1, allowed: newEntities(), seen: map[string]bool{}, offlineAt: map[string]int{},
		churned: map[string]bool{}, loose: map[itemKey]bool{}, lives: map[simbroker.Offset]bool{}}
}

// change notes what one operation did to the broker.
func (t *track) change(k *checker, before, after *brokerModel, o Op) {
	ev := &event{items: map[itemKey]string{}}
	knowable := false
	for name := range before.topics {
		if !after.topics[name] {
			t.churned["topic:"+name] = true
			ev.left += TopicKeys + TopicQueueKeys*queues(before, name) + pairKeys(before, name, "", 0) + t.lifeKeys(before, name, "", 0)
			ev.recalled += TopicKeys + TopicQueueKeys*RecalledQueues + pairKeys(before, name, "", RecalledQueues) +
				t.lifeKeys(before, name, "", RecalledQueues)
			knowable = knowable || t.seen["topic:"+name]
		}
	}
	for name := range before.groups {
		if !after.groups[name] {
			t.churned["group:"+name] = true
			ev.left += GroupKeys + pairKeys(before, "", name, 0) + t.lifeKeys(before, "", name, 0)
			ev.recalled += GroupKeys + pairKeys(before, "", name, RecalledQueues) + t.lifeKeys(before, "", name, RecalledQueues)
			knowable = knowable || t.seen["group:"+name]
		}
	}
	for name := range after.topics {
		if !before.topics[name] {
			t.churned["topic:"+name] = true
		}
	}
	for name := range after.groups {
		if !before.groups[name] {
			t.churned["group:"+name] = true
		}
	}
	for key, it := range after.leaked {
		if _, old := before.leaked[key]; !old {
			if knowable && (it.Group == "" || t.pairKnown(k, it.Topic, it.Group) || t.lives[pairOf(it)]) {
				ev.items[key] = it.Kind + ":" + it.Subject
			} else {
				t.loose[key] = true
			}
		}
	}
	for key, it := range before.leaked {
		if _, still := after.leaked[key]; !still {
			t.shrunk = k.cycle + 1
			if it.Group != "" && t.owed(key) {
				t.lives[pairOf(it)] = true
			}
			t.forget(key) // its subject is back (or the broker restarted): a new story
		}
	}
	if o.Kind == OpRestart && o.C == after.ref.C && o.B == after.ref.B {
		t.restarted, t.shrunk = k.cycle+1, k.cycle+1
		t.fifo, t.done = nil, nil // the restart freed every item
		t.lives = map[simbroker.Offset]bool{}
	}
	if knowable && ev.left > 0 {
		ev.keys = ev.left
		t.fifo = append(t.fifo, ev)
	}
}

// rebuilt: a new exporter process knows the deletions it recalls, by
// name and in no particular order, but none of the answers: everything
// remembered is one batch to ask again (for RecalledQueues queues a
// topic), owed once the whole batch is asked.
func (t *track) rebuilt() {
	batch := &event{items: map[itemKey]string{}, confirmed: true}
	for _, ev := range append(t.done, t.fifo...) {
		batch.recalled += ev.recalled
		batch.confirmed = batch.confirmed && ev.confirmed
		for key, subject := range ev.items {
			batch.items[key] = subject
		}
	}
	t.fifo, t.done = nil, nil
	if batch.recalled > 0 {
		batch.keys, batch.left = batch.recalled, batch.recalled
		t.fifo = []*event{batch}
	}
}

// pairKnown: the exporter learns a deleted subject's partners from the
// offsets of the last listing it had before the deletion, so a pair's
// item is known only if the running exporter saw that pair there.
func (t *track) pairKnown(k *checker, topic, group string) bool {
	lr := t.lastReach
	return lr != nil && t.reachedBy == k.builtAt && lr.groups[group] && lr.pairs[simbroker.Offset{Topic: topic, Group: group}]
}

// owed: a confirmed deletion (one the exporter saw) owes the item.
func (t *track) owed(key itemKey) bool {
	for _, list := range [][]*event{t.fifo, t.done} {
		for _, ev := range list {
			if _, ok := ev.items[key]; ok && ev.confirmed {
				return true
			}
		}
	}
	return false
}

func pairOf(it simbroker.LeakedItem) simbroker.Offset {
	return simbroker.Offset{Topic: it.Topic, Group: it.Group}
}

// lifeKeys counts the keys of a subject's first-life pairs its offsets no
// longer hold (those pairKeys counts), for topics of at least q queues
// (RecalledQueues for a topic gone: its count may be unknown).
func (t *track) lifeKeys(m *brokerModel, topic, group string, q int) int {
	n := 0
	for p := range t.lives {
		if (p.Topic != topic && p.Group != group) || m.pairs[p] {
			continue
		}
		tq := m.view.Queues[p.Topic]
		if tq == 0 {
			tq = RecalledQueues
		}
		n += PairKeys + PairQueueKeys*max(q, tq)
	}
	return n
}

// forget drops an item no longer leaked from the deletions that owed it.
func (t *track) forget(key itemKey) {
	for _, list := range [][]*event{t.fifo, t.done} {
		for _, ev := range list {
			delete(ev.items, key)
		}
	}
}

// pairKeys counts the keys of a subject's offset pairs (LMQs aside), for
// topics of at least q queues.
func pairKeys(m *brokerModel, topic, group string, q int) int {
	n := 0
	for _, o := range m.view.Offsets {
		if (topic != "" && o.Topic == topic) || (group != "" && o.Group == group) {
			n += PairKeys + PairQueueKeys*max(q, queues(m, o.Topic))
		}
	}
	return n
}

func queues(m *brokerModel, topic string) int { return max(1, m.view.Queues[topic]) }

// begin decides whether this cycle reached the broker: the checker
// disturbed none of it and the cycle met its deadline.
func (t *track) begin(k *checker, r ref, snap *snapshot.Snapshot) {
	t.reached = !k.w.disturbed(r) && !overran(snap)
	if t.reached {
		t.streak = 0
		t.reachedN++
	} else {
		t.streak++
	}
}

// unregistered: the exporter cannot list the broker (killed, or its
// cluster's namesrvs all down).
func (k *checker) unregistered(r ref) bool {
	return !k.w.sims[r.C].Up(r.B) || k.w.namesrvsDown(r.C)
}

// end records the cycle: what the exporter may serve from now on, what it
// knows, and the ideal probe queue's progress.
func (t *track) end(k *checker, m *brokerModel) {
	for g := range m.groups {
		if len(m.clients[g]) == 0 {
			t.offlineAt[g] = t.reachedN
		}
	}
	t.churned = map[string]bool{}
	if !t.reached {
		t.allowed.add(m)
		return
	}
	t.lastReach, t.reachedBy = m, k.builtAt
	t.allowed = newEntities()
	t.allowed.add(m)
	for name := range m.topics {
		t.seen["topic:"+name] = true
	}
	for name := range m.groups {
		t.seen["group:"+name] = true
	}

	for _, ev := range t.fifo {
		ev.confirm(m)
	}
	for budget := LeakProbes; budget > 0 && len(t.fifo) > 0; {
		ev := t.fifo[0]
		n := min(budget, ev.left)
		ev.left -= n
		budget -= n
		if ev.left == 0 {
			ev.drained = k.cycle
			t.done = append(t.done, ev)
			t.fifo = t.fifo[1:]
		}
	}
}

// confirm runs at the first cycle that reaches the broker after the
// deletions: a subject deleted and made again in between never looked
// deleted to the exporter, so its items are not owed.
func (ev *event) confirm(m *brokerModel) {
	if ev.confirmed {
		return
	}
	ev.confirmed = true
	for key, subject := range ev.items {
		kind, name, _ := strings.Cut(subject, ":")
		if (kind == "topic" && m.topics[name]) || (kind == "group" && m.groups[name]) {
			delete(ev.items, key)
		}
	}
}

// required are the leaked items the daemon must report by this cycle.
func (t *track) required(cycle int, m *brokerModel) map[itemKey]bool {
	out := map[itemKey]bool{}
	for _, ev := range t.done {
		if ev.drained+ProbeSlack > cycle {
			continue
		}
		for key := range ev.items {
			if _, ok := m.leaked[key]; ok {
				out[key] = true
			}
		}
	}
	return out
}

// knowable are the leaked items any full pass (audit) must find.
func (t *track) knowable(m *brokerModel) map[itemKey]bool {
	out := map[itemKey]bool{}
	for _, list := range [][]*event{t.fifo, t.done} {
		for _, ev := range list {
			for key := range ev.items {
				if _, ok := m.leaked[key]; ok {
					out[key] = true
				}
			}
		}
	}
	return out
}

// settled: nothing queued, every bound passed, nothing freed lately.
func (t *track) settled(cycle int) bool {
	if len(t.fifo) > 0 || t.streak > 0 || t.shrunk+ProbeSlack > cycle {
		return false
	}
	for _, ev := range t.done {
		if ev.drained+ProbeSlack > cycle {
			return false
		}
	}
	return true
}
