package admin

// ConsumeSieve says what a broker-wide consume-stats answer is kept of.
// Every replica of a sharded exporter reads the whole answer, but needs
// the offset tables of its own groups only: of every other group, the
// topics it has offsets on (what leak planning pairs) and, on the topics
// the replica measures, each queue's broker offset (a topic's max offsets
// come from there). Sifting each group as it is read keeps the rest from
// living until the cycle ends.
type ConsumeSieve struct {
	// Group tells whether a group's stats are kept whole.
	Group func(group string) bool
	// Topic tells whether a sifted group's queues of a topic keep their
	// broker offset. A superset of what is needed is harmless.
	Topic func(topic string) bool
}

// sift returns a group's entry as the sieve keeps it: whole, or reduced to
// its topics and the broker offsets of the queues Topic keeps.
func (s *ConsumeSieve) sift(p groupList) groupList {
	if s == nil || p.sifted || s.Group(p.group) {
		return p
	}
	out := groupList{group: p.group, sifted: true}
	keep := false // Topic of the last topic appended, asked once a topic
	for _, cs := range p.list {
		kept := cs.Queues[:0] // read for this answer alone: reused in place
		for _, q := range cs.Queues {
			if n := len(out.topics); n == 0 || out.topics[n-1] != q.Topic {
				out.topics = append(out.topics, q.Topic)
				keep = s.Topic(q.Topic)
			}
			if keep {
				kept = append(kept, ConsumeOffsets{MessageQueue: q.MessageQueue, BrokerOffset: q.BrokerOffset})
			}
		}
		if len(kept) > 0 {
			out.list = append(out.list, ConsumeStats{Queues: kept})
		}
	}
	return out
}
