package leak

import (
	"cmp"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// bury turns topics and groups that left the listings since the last
// cycle into tombstones, with the partners they were seen with.
func (b *broker) bury(l *Listing, now time.Time) {
	if !b.seen {
		return
	}
	// Gone names are buried in name order, so the probe queue's order (and
	// every report built from it) is the same in every process that sees
	// the same listings: two exporters, or the shards of one, agree.
	var goneTopics []string
	for name := range b.prevTopics {
		if _, ok := l.Topics[name]; !ok {
			goneTopics = append(goneTopics, name)
		}
	}
	sort.Strings(goneTopics)
	for _, name := range goneTopics {
		s := b.tomb(KindTopic, name, b.prevTopics[name], now, false)
		for _, g := range b.prevPairs[name] {
			b.partner(s, g)
		}
	}
	goneGroups := map[string]*subject{}
	for name := range b.prevGroups {
		if !l.Groups[name] {
			goneGroups[name] = nil
		}
	}
	if len(goneGroups) == 0 {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(goneGroups)) {
		goneGroups[name] = b.tomb(KindGroup, name, 0, now, false)
	}
	for _, topic := range slices.Sorted(maps.Keys(b.prevPairs)) {
		for _, g := range b.prevPairs[topic] {
			if s := goneGroups[g]; s != nil {
				b.partner(s, topic)
			}
		}
	}
}

// recall makes tombstones of names history remembers and the listings no
// longer hold, with the pairs it remembers, and keeps its first lives.
func (b *broker) recall(l *Listing, r Recalled, now time.Time) {
	if !r.Boot.IsZero() && !l.Boot.IsZero() && !r.Boot.Equal(l.Boot) {
		return // the broker restarted since: its restart freed their items
	}
	b.keepPast(r.Past) // before the tombstones: they take back from it
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
	// A tombstone made before the recall came takes its first lives too.
	for _, p := range slices.Concat(r.Pairs, r.Past) {
		topic, group := p[0], p[1]
		if s := b.tombs[KindTopic+":"+topic]; s != nil {
			b.partner(s, group)
		}
		if s := b.tombs[KindGroup+":"+group]; s != nil {
			b.partner(s, topic)
		}
	}
	b.keepPast(unpaired(l, r.Pairs))
}

// unpaired lists the pairs of two live names that the listings no longer
// pair: one of them was deleted and came back while no exporter saw it
// (with other partners, or none), and the pair's items are still in the
// broker: a first life.
func unpaired(l *Listing, pairs [][2]string) [][2]string {
	var out [][2]string
	for _, p := range pairs {
		if _, topicLive := l.Topics[p[0]]; topicLive && l.Groups[p[1]] && !slices.Contains(l.Pairs[p[0]], p[1]) {
			out = append(out, p)
		}
	}
	return out
}

// keepPast adds pairs of first lives to past. Which side holds a pair does
// not matter: takeBack gives it to a tombstone of either side alike.
func (b *broker) keepPast(pairs [][2]string) {
	for _, p := range pairs {
		topic, group := p[0], p[1]
		if topic == "" || group == "" || isLMQ(topic) {
			continue
		}
		id := KindGroup + ":" + group
		if b.past[id] == nil {
			b.past[id] = map[string]struct{}{}
		}
		b.past[id][topic] = struct{}{}
	}
}

// derive finds leftovers in the broker's own offset table, so a freshly
// started exporter sees deletions that happened before it ran.
func (b *broker) derive(l *Listing, now time.Time) {
	b.orphans = b.orphans[:0:0]
	b.lmqQueues = map[string]int{}
	lmqGroups := map[string]bool{}
	lmq := map[Probe]bool{}
	var orphans []Offset
	for _, e := range l.Offsets {
		if isLMQ(e.Topic) {
			b.lmqQueues[snapshot.LMQParent(e.Topic)]++
			lmqGroups[e.Group] = true
			lmq[Probe{"GROUP_GET_NUMS", e.Topic + "@" + e.Group}] = true
			continue // LMQs never have a topic config: not orphans
		}
		_, topicLive := l.Topics[e.Topic]
		if topicLive && l.Groups[e.Group] || snapshot.ClassifyGroup(e.Group) == snapshot.GroupSystem {
			// The broker's own groups (POP revive, the transaction check)
			// commit offsets without a subscription config, on topics that
			// may have no topic config (4.9.7's RMQ_SYS_TRANS_OP_HALF_TOPIC).
			continue
		}
		orphans = append(orphans, e)
	}
	// In (topic, group) order, as bury buries: the table's order is the
	// broker's map order.
	slices.SortFunc(orphans, func(x, y Offset) int {
		return cmp.Or(strings.Compare(x.Topic, y.Topic), strings.Compare(x.Group, y.Group))
	})
	for _, e := range orphans {
		_, topicLive := l.Topics[e.Topic]
		groupLive := l.Groups[e.Group]
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
	}
	sort.Strings(b.leftover) // buried in name order, as bury does
	for _, name := range b.leftover {
		g, _ := snapshot.GroupOfTopic(name)
		b.tomb(KindGroup, g, 0, now, true)
	}
}

// expire drops tombstones of subjects that exist again (a topic re-created
// under the same name starts fresh) and, with a TTL, old ones.
func (b *broker) expire(l *Listing, now time.Time, ttl time.Duration) {
	for id, s := range b.tombs {
		_, topicLive := l.Topics[s.name]
		alive := (s.kind == KindTopic && topicLive) || (s.kind == KindGroup && l.Groups[s.name])
		if alive {
			b.handOver(s)
			if len(s.partners) > 0 {
				b.past[id] = s.partners
			}
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
	if len(b.past) > max { // the partners of names that came back: the same bound
		for _, id := range slices.Sorted(maps.Keys(b.past))[:len(b.past)-max] {
			delete(b.past, id)
		}
	}
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
