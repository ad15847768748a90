package poller

import (
	"context"
	"sort"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// pairState is a pair's memory for this cycle: its cached age is dropped
// when the group moved, or when retention may have deleted the message the
// age was read from.
func pairState(pairs map[string]pairMemory, key string, gt *snapshot.GroupTopic, marks retention, now time.Time) pairMemory {
	m, known := pairs[key]
	switch {
	case !known:
		// First sight says nothing about movement: the broker's own
		// consume TPS tells whether the pair consumes right now.
		return pairMemory{consumerOffset: gt.ConsumerOffset}
	case m.consumerOffset != gt.ConsumerOffset:
		return pairMemory{consumerOffset: gt.ConsumerOffset, changed: now, asked: m.asked}
	case m.oldestStore > 0 && marks.expired(m, gt.Topic):
		m.oldestStore = 0
	case m.minOffset < 0:
		// The topic's min offset was not known when the age was read (its
		// stats waited for their first turn): the first one known is the
		// mark, as if read then.
		m.minOffset = marks.lowest(gt.Topic)
	}
	return m
}

// retention is what shows that retention deleted messages: each topic's
// min offset, where known, and the broker's earliest stored message (ms,
// 0 unknown).
type retention struct {
	minOffset map[string]int64
	earliest  int64
}

func retentionMarks(b *snapshot.Broker) retention {
	r := retention{minOffset: make(map[string]int64, len(b.Topics))}
	for i := range b.Topics {
		if !b.Topics[i].RangePending {
			r.minOffset[b.Topics[i].Name] = b.Topics[i].MinOffset
		}
	}
	if v, ok := b.Runtime.Value("earliestMessageTimeStamp"); ok && v > 0 {
		r.earliest = int64(v)
	}
	return r
}

// expired tells whether the message a cached age was read from may be
// gone: the topic's min offset moved since, or the broker's oldest stored
// message moved and is now younger than it.
func (r retention) expired(m pairMemory, topic string) bool {
	if low := r.lowest(topic); low >= 0 && m.minOffset >= 0 && low != m.minOffset {
		return true
	}
	return r.earliest > 0 && r.earliest != m.earliest && m.oldestStore < r.earliest
}

// lowest is the topic's min offset, -1 when unknown: its stats not yet
// answered, or the topic not among the broker's kept ones.
func (r retention) lowest(topic string) int64 {
	if m, ok := r.minOffset[topic]; ok {
		return m
	}
	return -1
}

// pairWindows reads the minute windows of consuming pairs; a pair not
// answered keeps its last ones.
func (p *Poller) pairWindows(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, out []snapshot.Group, consuming []pairRef,
	last map[string]*snapshot.GroupTopic) {
	st := mem.tally.of(stGroupRates)
	p.eachPair(ctx, b, out, consuming, last, func(g *snapshot.Group, gt *snapshot.GroupTopic) bool {
		key := pairKey(gt.Topic, g.Name)
		size, err1 := p.stat(ctx, st, b.Addr, "GROUP_GET_SIZE", key)
		sb, err2 := p.stat(ctx, st, b.Addr, "SNDBCK_PUT_NUMS", key)
		if err1 != nil || err2 != nil {
			return false
		}
		if size != nil {
			gt.Get.BytesPerSec = size.StatsMinute.Tps
		}
		if sb != nil {
			gt.SendBack = &snapshot.Window{TPS: sb.StatsMinute.Tps, Sum: sb.StatsMinute.Sum}
		}
		return true
	}, func(gt, lt *snapshot.GroupTopic) bool {
		if lt.Get != nil {
			gt.Get.BytesPerSec = lt.Get.BytesPerSec
		}
		gt.SendBack = lt.SendBack
		return true
	})
}

// eachPair asks about every pair of refs with ask (concurrently, within
// the cycle's deadline); a pair not answered takes what carry copies from
// its last cycle's values (carry says whether it had any), and counts as
// missed.
func (p *Poller) eachPair(ctx context.Context, b *snapshot.Broker, out []snapshot.Group, refs []pairRef,
	last map[string]*snapshot.GroupTopic, ask func(g *snapshot.Group, gt *snapshot.GroupTopic) bool,
	carry func(gt, lt *snapshot.GroupTopic) bool) {
	ok := p.eachAnswered(ctx, len(refs), func(k int) bool {
		g := &out[refs[k].g]
		return ask(g, &g.Topics[refs[k].t])
	})
	for k, answered := range ok {
		if answered {
			continue
		}
		g := &out[refs[k].g]
		gt := &g.Topics[refs[k].t]
		had := false
		if lt := last[pairKey(gt.Topic, g.Name)]; lt != nil {
			had = carry(gt, lt)
		}
		missed(ctx, b, snapshot.CarriedGroupTopicRates, had)
	}
}

// lagAges looks up the age of the oldest unconsumed message of lagging
// pairs whose age is not cached, at most LagSecondsBudget per broker per
// cycle: the pairs asked longest ago (or never) first, so every pair gets
// its turn within len(lagging)/budget cycles even when its group moves
// every cycle. A pair not answered this cycle keeps its last age and is
// counted pending.
func (p *Poller) lagAges(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, out []snapshot.Group, lagging []pairRef,
	last map[string]*snapshot.GroupTopic, next map[string]pairMemory, marks retention, now time.Time) {
	key := func(r pairRef) string { return pairKey(out[r.g].Topics[r.t].Topic, out[r.g].Name) }
	sort.SliceStable(lagging, func(i, j int) bool { return next[key(lagging[i])].asked < next[key(lagging[j])].asked })
	turn := lagging
	if budget := p.cfg.LagSecondsBudget; budget > 0 && len(turn) > budget {
		turn = turn[:budget]
	}
	st := mem.tally.of(stLagSeconds)
	oldest := make([]int64, len(turn))
	tried := make([]bool, len(turn))
	ok := p.eachAnswered(ctx, len(turn), func(k int) bool {
		tried[k] = true
		g := &out[turn[k].g]
		gt := &g.Topics[turn[k].t]
		spans, err := ask(ctx, p, st, func(c context.Context) ([]admin.QueueTimeSpan, error) {
			return p.adm.QueryConsumeTimeSpan(c, b.Addr, gt.Topic, g.Name)
		})
		if err != nil {
			return false
		}
		if oldest[k] = oldestUnconsumed(spans, time.Now().UnixMilli()); oldest[k] > 0 {
			gt.LagSeconds, gt.HasLagSeconds = lagSeconds(now, oldest[k]), true
		}
		return true
	})
	for k, r := range turn {
		m := next[key(r)]
		if tried[k] {
			m.asked = mem.cycles
		}
		if ok[k] && oldest[k] > 0 {
			m.oldestStore, m.minOffset, m.earliest = oldest[k], marks.lowest(out[r.g].Topics[r.t].Topic), marks.earliest
		}
		next[key(r)] = m
	}
	b.LagPending = 0
	for k, r := range lagging {
		if k < len(turn) && ok[k] {
			continue
		}
		b.LagPending++
		gt := &out[r.g].Topics[r.t]
		lt := last[key(r)]
		had := lt != nil && lt.HasLagSeconds
		if had {
			gt.LagSeconds, gt.HasLagSeconds = lt.LagSeconds, true
		}
		if k < len(turn) {
			missed(ctx, b, snapshot.CarriedLagSeconds, had)
		} else if had {
			carried(b, snapshot.CarriedLagSeconds) // over the budget: its turn comes, not a cut
		}
	}
}

// oldestUnconsumed reads the store time (ms) of the oldest unconsumed
// message from a QUERY_CONSUME_TIME_SPAN answer asked at asked (ms); 0
// when no queue gives one.
func oldestUnconsumed(spans []admin.QueueTimeSpan, asked int64) int64 {
	var oldest int64
	for _, s := range spans {
		if s.DelayTime <= 0 {
			continue // caught up on this queue
		}
		store := asked - s.DelayTime
		if store < minPlausibleMillis {
			// The message at the consumer offset has no store time. When
			// the one before it has none either, retention deleted both and
			// the oldest unconsumed message still stored is the queue's
			// first; when the group never committed here (the broker then
			// gives the queue's first as its consume time), it is no age.
			if s.ConsumeTimeStamp > 0 || s.MinTimeStamp < minPlausibleMillis {
				continue
			}
			store = s.MinTimeStamp
		}
		if oldest == 0 || store < oldest {
			oldest = store
		}
	}
	return oldest
}

// minPlausibleMillis is 2001-09-09: store times before it are not times.
const minPlausibleMillis = 1_000_000_000_000

func lagSeconds(now time.Time, storeMillis int64) float64 {
	return max(0, float64(now.UnixMilli()-storeMillis)/1000)
}
