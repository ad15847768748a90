package poller

import (
	"context"
	"sort"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// keepTopic applies the filters: a group's retry and DLQ topics follow the
// group filter, every other topic the topic filter. groups is the broker's
// subscription group table, which tells whose retry topic a name is.
func (p *Poller) keepTopic(name string, groups map[string]admin.SubscriptionGroupConfig) bool {
	if g, ok := ownerGroup(name, groups); ok {
		return p.cfg.Groups.Keep(g)
	}
	return p.cfg.Topics.Keep(name)
}

// ownerGroup is the group a %RETRY%/%DLQ% topic belongs to. A POP retry
// topic (%RETRY%<group>_<topic>) reads like the push retry topic of a
// group named "<group>_<topic>": the group the broker has decides, the
// whole name when it has both or neither.
func ownerGroup(topic string, groups map[string]admin.SubscriptionGroupConfig) (string, bool) {
	g, ok := snapshot.GroupOfTopic(topic)
	if !ok {
		return "", false
	}
	if _, known := groups[g]; known {
		return g, true
	}
	cands := snapshot.RetryGroups(topic)
	for i := len(cands) - 1; i > 0; i-- { // the longest prefix first
		if _, known := groups[cands[i]]; known {
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
	prev := map[string]*snapshot.Topic{}
	if mem.last != nil {
		for i := range mem.last.Topics {
			prev[mem.last.Topics[i].Name] = &mem.last.Topics[i]
		}
	}
	names := make([]string, 0, len(l.topics.TopicConfigTable))
	for name := range l.topics.TopicConfigTable {
		if !p.keepTopic(name, l.groups.SubscriptionGroupTable) {
			continue
		}
		b.Counts.Topics[topicKind(b, name)]++
		if p.ownsTopic(name, l.groups.SubscriptionGroupTable) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := make([]snapshot.Topic, len(names))
	var fetch []int // topics whose offsets only GET_TOPIC_STATS_INFO can give
	for i, name := range names {
		tc := l.topics.TopicConfigTable[name]
		t := snapshot.Topic{Name: name, Kind: topicKind(b, name), ReadQueues: tc.ReadQueueNums,
			WriteQueues: tc.WriteQueueNums, Perm: tc.Perm, Order: tc.Order}
		if qs, ok := covered[name]; ok && !p.cfg.QueueDetail {
			t.HasOffsets = true
			for _, off := range qs {
				t.MaxOffset += off
			}
			if pt := prev[name]; pt != nil {
				t.MinOffset, t.LastPut = pt.MinOffset, pt.LastPut
			}
		} else if pt := prev[name]; pt != nil && pt.HasOffsets && (still || p.idleTopic(mem, name, now)) {
			// Nothing was written since the last refresh, or the topic has
			// been still for a while and this is not its refresh cycle.
			t.HasOffsets, t.MaxOffset, t.MinOffset, t.LastPut, t.Queues = true, pt.MaxOffset, pt.MinOffset, pt.LastPut, pt.Queues
		} else {
			fetch = append(fetch, i)
		}
		out[i] = t
	}
	putTPS := make([]float64, len(out))
	ok := p.eachAnswered(ctx, len(fetch), func(k int) bool {
		t := &out[fetch[k]]
		ts, err := ask(ctx, p, mem.tally.of(stTopicStats), func(c context.Context) (*admin.TopicStats, error) {
			return p.adm.TopicStats(c, b.Addr, t.Name)
		})
		if err != nil {
			return false
		}
		t.HasOffsets = true
		putTPS[fetch[k]] = ts.TopicPutTps
		for _, q := range ts.Queues {
			t.MaxOffset += q.MaxOffset
			t.MinOffset += q.MinOffset
			t.LastPut = max(t.LastPut, q.LastUpdateTimestamp)
			if p.cfg.QueueDetail {
				t.Queues = append(t.Queues, snapshot.QueueOffsets{QueueID: q.QueueID, MinOffset: q.MinOffset, MaxOffset: q.MaxOffset})
			}
		}
		return true
	})
	for k, answered := range ok {
		if answered {
			continue
		}
		// Not asked before the deadline, or no answer: the last offsets
		// stand; a failed call never removes a topic's series.
		t := &out[fetch[k]]
		pt := prev[t.Name]
		had := pt != nil && pt.HasOffsets
		if had {
			t.HasOffsets, t.MaxOffset, t.MinOffset, t.LastPut, t.Queues = true, pt.MaxOffset, pt.MinOffset, pt.LastPut, pt.Queues
		}
		missed(ctx, b, snapshot.CarriedTopicOffsets, had)
	}
	p.topicRates(ctx, b, mem, out, putTPS, prev, now)
	return out
}

// idleTopic reports whether a topic's offsets may be reused this cycle:
// they have not moved for longer than the stats window and this is not one
// of its refresh cycles (every IdleTopicRefreshCycles). A topic that starts
// receiving again is seen within that many cycles.
func (p *Poller) idleTopic(mem *brokerMemory, name string, now time.Time) bool {
	if p.cfg.IdleTopicRefreshCycles <= 1 || mem.cycles%p.cfg.IdleTopicRefreshCycles == 0 {
		return false
	}
	m, ok := mem.topics[name]
	if !ok || now.Sub(m.seen) < activeWindow {
		return false
	}
	return m.changed.IsZero() || now.Sub(m.changed) >= activeWindow
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
		} else if t.MaxOffset != m.maxOffset {
			m.maxOffset, m.changed = t.MaxOffset, now
		}
		next[t.Name] = m
		switch {
		case (!m.changed.IsZero() && now.Sub(m.changed) < activeWindow) || putTPS[i] > 0:
			active = append(active, i)
		case known && now.Sub(m.seen) >= activeWindow:
			t.Put = &snapshot.Window{} // unchanged for longer than the window: truly idle
		}
	}
	mem.topics = next
	ok := p.eachAnswered(ctx, len(active), func(k int) bool {
		t := &out[active[k]]
		w := &snapshot.Window{}
		st := mem.tally.of(stTopicRates)
		nums, err1 := p.stat(ctx, st, b.Addr, "TOPIC_PUT_NUMS", t.Name)
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
