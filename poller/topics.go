package poller

import (
	"context"
	"sort"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// keepTopic applies the filters: a group's retry and DLQ topics follow the
// group filter, every other topic the topic filter. The listings' group
// and topic tables tell whose retry topic a name is.
func (p *Poller) keepTopic(name string, l *listings) bool {
	keep, _ := p.topicShare(name, l)
	return keep
}

// topicShare tells whether the filters keep topic name and whether this
// replica owns it (shard.go): both go by the group for a group's retry and
// DLQ topics, by the topic's own name otherwise.
func (p *Poller) topicShare(name string, l *listings) (keep, own bool) {
	if g, ok := ownerGroup(name, l.groups, l.topics); ok {
		return p.cfg.Groups.Keep(g), p.cfg.Shard.Owns(g)
	}
	return p.cfg.Topics.Keep(name), p.cfg.Shard.Owns(name)
}

// ownerGroup is the group a %RETRY%/%DLQ% topic belongs to. A POP retry
// topic (%RETRY%<group>_<topic>) reads like the push retry topic of a
// group named "<group>_<topic>": it is <group>'s only while both that
// group and that topic live (as leak planning reads it, docs/leaks.md);
// the group the broker has decides, the whole name when it has both or
// neither.
func ownerGroup(topic string, groups *admin.SubscriptionGroupTable, topics *admin.TopicConfigTable) (string, bool) {
	g, ok := snapshot.GroupOfTopic(topic)
	if !ok {
		return "", false
	}
	if groups.Has(g) {
		return g, true
	}
	cands := snapshot.RetryGroups(topic)
	for i := len(cands) - 1; i > 0; i-- { // the longest prefix first
		if groups.Has(cands[i]) && topics.Has(g[len(cands[i])+1:]) {
			return cands[i], true
		}
	}
	return g, true
}

// queueMax collects the broker offsets broker-wide consume stats already
// carry, so those topics need no GET_TOPIC_STATS_INFO of their own.
func queueMax(cs *admin.BrokerConsumeStats) map[string]map[int]int64 {
	out := map[string]map[int]int64{}
	for _, g := range cs.Groups {
		for _, st := range g.Stats {
			for _, q := range st.Queues {
				m := out[q.Topic]
				if m == nil {
					m = map[int]int64{}
					out[q.Topic] = m
				}
				m[q.QueueID] = max(m[q.QueueID], q.BrokerOffset)
			}
		}
	}
	return out
}

func (p *Poller) topics(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, l *listings, now time.Time) []snapshot.Topic {
	covered := queueMax(l.consume)
	still := p.storeStill(b, mem, l)
	var prev map[string]*snapshot.Topic
	if mem.last != nil {
		prev = make(map[string]*snapshot.Topic, len(mem.last.Topics))
		for i := range mem.last.Topics {
			prev[mem.last.Topics[i].Name] = &mem.last.Topics[i]
		}
	}
	names := make([]string, 0, len(l.topics.TopicConfigTable))
	for name := range l.topics.Queues() {
		keep, own := p.topicShare(name, l)
		if !keep {
			continue
		}
		b.Counts.Topics[topicKind(b, name)]++
		if own {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := make([]snapshot.Topic, len(names))
	var again, fresh []int // re-asks, and topics never answered
	for i, name := range names {
		tc := l.topics.TopicConfigTable[name]
		t := snapshot.Topic{Name: name, Kind: topicKind(b, name), ReadQueues: tc.ReadQueueNums,
			WriteQueues: tc.WriteQueueNums, Perm: tc.Perm, Order: tc.Order}
		switch p.planTopic(&t, covered, prev[name], still, mem, now) {
		case askAgain:
			again = append(again, i)
		case askFirst:
			fresh = append(fresh, i)
		}
		out[i] = t
	}
	first, waiting := firstSight(names, fresh, mem.waitTopics, mem.cycles, firstSightCap(len(names), p.cfg.IdleTopicRefreshCycles))
	fetch := append(again, first...)
	putTPS := p.topicStats(ctx, b, mem, out, fetch, prev)
	for _, i := range first {
		if out[i].HasOffsets && !out[i].RangePending {
			delete(waiting, names[i]) // answered: no longer first sight
		}
	}
	mem.waitTopics = waiting
	pend(b, snapshot.CarriedTopicOffsets, len(waiting))
	p.topicRates(ctx, b, mem, out, putTPS, prev, now)
	return out
}

// idleWindow is the put window of every topic idle for longer than the
// window: one value, shared, since snapshots are never written.
var idleWindow = &snapshot.Window{}

// topicPlan is what a topic's GET_TOPIC_STATS_INFO does this cycle.
type topicPlan int

const (
	keepLast topicPlan = iota // not asked: the last answer stands
	askAgain                  // asked, the topic having been answered before
	askFirst                  // never answered: within the first-sight budget
)

// planTopic fills t with what needs no call (offsets that consume stats
// carry, or the last answer) and says whether to ask. A topic some group
// has offsets on gets its max offsets from consume stats every cycle and
// its min offset and last put on its turn of every rangeRefreshEvery
// cycles; any other topic is asked every
// cycle while it moves, on its turn while it stands still. While the
// broker's store stands still, no topic answered before is asked.
func (p *Poller) planTopic(t *snapshot.Topic, covered map[string]map[int]int64, pt *snapshot.Topic, still bool,
	mem *brokerMemory, now time.Time) topicPlan {
	answered := pt != nil && pt.HasOffsets && !pt.RangePending
	turn := !still && inTurn(t.Name, mem.cycles, p.cfg.IdleTopicRefreshCycles)
	if qs, ok := covered[t.Name]; ok && !p.cfg.QueueDetail {
		t.HasOffsets = true
		for _, off := range qs {
			t.MaxOffset += off
		}
		switch {
		case !answered:
			t.RangePending = true // no min offset or last put is known: none is served
			return askFirst
		case !still && inTurn(t.Name, mem.cycles, rangeRefreshEvery):
			t.MinOffset, t.LastPut = pt.MinOffset, pt.LastPut // until answered
			return askAgain
		}
		t.MinOffset, t.LastPut = pt.MinOffset, pt.LastPut
		return keepLast
	}
	switch {
	case !answered:
		return askFirst
	case turn || (!still && p.movingTopic(mem, t.Name, now)):
		return askAgain
	}
	t.HasOffsets, t.MaxOffset, t.MinOffset, t.LastPut, t.Queues = true, pt.MaxOffset, pt.MinOffset, pt.LastPut, pt.Queues
	return keepLast
}

// topicStats asks GET_TOPIC_STATS_INFO for the topics of fetch and
// returns each topic's put TPS (0 when not asked). A covered topic takes
// only its min offset and last put from the answer: its max offsets are
// consume stats', which every topic of a group is measured against. A
// topic not answered keeps its last offsets; a failed call never removes a
// topic's series.
func (p *Poller) topicStats(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, out []snapshot.Topic, fetch []int,
	prev map[string]*snapshot.Topic) []float64 {
	putTPS := make([]float64, len(out))
	ok := p.eachAnswered(ctx, len(fetch), func(k int) bool {
		t := &out[fetch[k]]
		ts, err := ask(ctx, p, mem.tally.of(stTopicStats), func(c context.Context) (*admin.TopicStats, error) {
			return p.adm.TopicStats(c, b.Addr, t.Name)
		})
		if err != nil {
			return false
		}
		putTPS[fetch[k]] = ts.TopicPutTps
		var maxOff, minOff, last int64
		var queues []snapshot.QueueOffsets
		for _, q := range ts.Queues {
			maxOff += q.MaxOffset
			minOff += q.MinOffset
			last = max(last, q.LastUpdateTimestamp)
			if p.cfg.QueueDetail {
				queues = append(queues, snapshot.QueueOffsets{QueueID: q.QueueID, MinOffset: q.MinOffset, MaxOffset: q.MaxOffset})
			}
		}
		if !t.HasOffsets {
			t.HasOffsets, t.MaxOffset, t.Queues = true, maxOff, queues
		}
		t.MinOffset, t.LastPut, t.RangePending = minOff, last, false
		return true
	})
	for k, answered := range ok {
		if answered {
			continue
		}
		t := &out[fetch[k]]
		pt := prev[t.Name]
		had := pt != nil && pt.HasOffsets && !pt.RangePending
		if had && !t.HasOffsets {
			t.HasOffsets, t.MaxOffset, t.MinOffset, t.LastPut, t.Queues = true, pt.MaxOffset, pt.MinOffset, pt.LastPut, pt.Queues
		}
		missed(ctx, b, snapshot.CarriedTopicOffsets, had)
	}
	return putTPS
}

// movingTopic reports whether a topic's max offset moved within the
// stats window (or its first answer showed puts in the broker's last
// minute): it is asked every cycle until it has stood still that long.
func (p *Poller) movingTopic(mem *brokerMemory, name string, now time.Time) bool {
	m, ok := mem.topics[name]
	return ok && !m.changed.IsZero() && now.Sub(m.changed) < activeWindow
}

// storeStill reports whether the broker has written nothing and changed no
// topic since the last full refresh, and records this cycle's mark.
func (p *Poller) storeStill(b *snapshot.Broker, mem *brokerMemory, l *listings) bool {
	end, ok := b.Runtime.Value("commitLogMaxOffset")
	mark := storeMark{commitLogMax: end, topicVersion: l.topics.DataVersion.Counter, known: ok}
	still := ok && mem.store == mark && mem.sinceRefresh < fullRefreshEvery && mem.last != nil
	if still {
		mem.sinceRefresh++
	} else {
		mem.store, mem.sinceRefresh = mark, 0
	}
	return still
}

// topicRates reads the broker's minute window for topics that moved within
// it, and records zero for topics known to have been still all along.
func (p *Poller) topicRates(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, out []snapshot.Topic, putTPS []float64,
	prev map[string]*snapshot.Topic, now time.Time) {
	next := make(map[string]topicMemory, len(out))
	var active []int
	for i := range out {
		t := &out[i]
		if !t.HasOffsets {
			continue
		}
		m, known := mem.topics[t.Name]
		if !known {
			m = topicMemory{maxOffset: t.MaxOffset, seen: now}
			if putTPS[i] > 0 {
				m.changed = now // put to within the broker's last minute: moving
			}
		} else if t.MaxOffset != m.maxOffset {
			m.maxOffset, m.changed = t.MaxOffset, now
		}
		next[t.Name] = m
		switch {
		case (!m.changed.IsZero() && now.Sub(m.changed) < activeWindow) || putTPS[i] > 0:
			active = append(active, i)
		case known && now.Sub(m.seen) >= activeWindow:
			t.Put = idleWindow // unchanged for longer than the window: truly idle
		}
	}
	mem.topics = next
	ok := p.eachAnswered(ctx, len(active), func(k int) bool {
		t := &out[active[k]]
		w := &snapshot.Window{}
		st := mem.tally.of(stTopicRates)
		var nums *admin.BrokerStatsData
		var err1 error
		if p.cfg.PutMessageRates {
			nums, err1 = p.stat(ctx, st, b.Addr, "TOPIC_PUT_NUMS", t.Name)
		}
		size, err2 := p.stat(ctx, st, b.Addr, "TOPIC_PUT_SIZE", t.Name)
		if err1 != nil || err2 != nil {
			return false // half a window is no window: the last whole one stands
		}
		if nums != nil {
			w.TPS, w.Sum = nums.StatsMinute.Tps, nums.StatsMinute.Sum
		}
		if size != nil {
			w.BytesPerSec = size.StatsMinute.Tps
		}
		t.Put = w
		return true
	})
	for k, answered := range ok {
		if !answered {
			t := &out[active[k]]
			pt := prev[t.Name]
			if pt != nil {
				t.Put = pt.Put // shared, never written: snapshots are immutable
			}
			missed(ctx, b, snapshot.CarriedTopicRates, t.Put != nil)
		}
	}
}
