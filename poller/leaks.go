package poller

import (
	"context"
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/leak"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// probeLeaks hands a master's unfiltered listings to the leak planner,
// asks the stat keys it plans with the cycle's concurrency and deadline,
// and stores the planner's report in b.
func (p *Poller) probeLeaks(ctx context.Context, b *snapshot.Broker, l *listings) {
	var offsets *admin.ConsumerOffsets
	err := p.call(ctx, func(c context.Context) (err error) { offsets, err = p.adm.AllConsumerOffsets(c, b.Addr); return })
	if err != nil {
		p.log.Debug("consumer offsets unavailable; orphans carried from the last answer", "addr", b.Addr, "err", err)
	}
	probes := p.cfg.Leaks.Observe(leakListing(b, l, offsets))
	answers := make([]leak.Answer, len(probes))
	p.each(ctx, len(probes), func(i int) {
		d, err := p.stat(ctx, b.Addr, probes[i].Stats, probes[i].Key)
		answers[i] = leak.Answer{Asked: err == nil, Exists: d != nil}
	})
	b.Leaks, b.LMQ = p.cfg.Leaks.Record(b.Key(), probes, answers)
}

// leakListing builds what the planner needs from the listings as the
// broker answered them: every topic and group, whatever the filters.
func leakListing(b *snapshot.Broker, l *listings, offsets *admin.ConsumerOffsets) *leak.Listing {
	out := &leak.Listing{Key: b.Key(), Boot: b.BootTime, Topics: make(map[string]int, len(l.topics.TopicConfigTable)),
		Groups: make(map[string]bool, len(l.groups.SubscriptionGroupTable)), Pairs: map[string][]string{}}
	for name, tc := range l.topics.TopicConfigTable {
		out.Topics[name] = max(tc.ReadQueueNums, tc.WriteQueueNums)
	}
	for name := range l.groups.SubscriptionGroupTable {
		out.Groups[name] = true
	}
	for _, g := range l.consume.Groups {
		out.Groups[g.Group] = true
		for _, st := range g.Stats {
			if len(st.Queues) == 0 || strings.HasPrefix(st.Queues[0].Topic, snapshot.LMQPrefix) {
				continue
			}
			topic := st.Queues[0].Topic
			out.Pairs[topic] = append(out.Pairs[topic], g.Group)
		}
	}
	if offsets != nil {
		out.Offsets = make([]leak.Offset, 0, len(offsets.Entries))
		for _, e := range offsets.Entries {
			out.Offsets = append(out.Offsets, leak.Offset{Topic: e.Topic, Group: e.Group, Queues: len(e.Offsets)})
		}
	}
	return out
}

// forgetLeaks drops the planner's memory of brokers no longer collected.
func (p *Poller) forgetLeaks(keep map[string]bool) {
	if p.cfg.Leaks != nil {
		p.cfg.Leaks.Forget(keep)
	}
}
