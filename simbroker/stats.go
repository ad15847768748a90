package simbroker

import (
	"strconv"
	"strings"
)

// The stat items a broker keeps (its BrokerStatsManager), by key shape.
// The latency items are per queue; 4.x has no TOPIC_PUT_LATENCY and no
// SNDBCK2DLQ_TIMES.
const (
	statTopicPutNums    = "TOPIC_PUT_NUMS"    // topic
	statTopicPutSize    = "TOPIC_PUT_SIZE"    // topic
	statTopicPutLatency = "TOPIC_PUT_LATENCY" // queueId@topic
	statGroupGetNums    = "GROUP_GET_NUMS"    // topic@group
	statGroupGetSize    = "GROUP_GET_SIZE"    // topic@group
	statGroupGetLatency = "GROUP_GET_LATENCY" // queueId@topic@group
	statSendBack        = "SNDBCK_PUT_NUMS"   // topic@group
	statSendBackToDLQ   = "SNDBCK2DLQ_TIMES"  // null@topic@group@SEND_BACK_TO_DLQ
)

const (
	dlqPrefix = "%DLQ%"
	lmqPrefix = "%LMQ%"
)

// statEntry is one stat item of a broker with the subject its key names: a
// topic, or a topic and a group.
type statEntry struct {
	stats, key   string
	topic, group string
	item         *statItem
}

// stat returns a stat item of the broker, made on first use as the broker
// makes it. An item left by a deleted subject is found again when a
// subject of that name comes back, as on a real broker.
func (st *brokerState) stat(stats, key, topic, group string, at int64) *statItem {
	id := stats + "@" + key
	if e := st.stats[id]; e != nil {
		return e.item
	}
	e := &statEntry{stats: stats, key: key, topic: topic, group: group, item: &statItem{created: at}}
	st.stats[id] = e
	return e.item
}

// forgetStats is what deleting a topic (group "") or a group (topic "")
// does to the broker's stat items. With autoDeleteUnusedStats every item
// naming the subject goes, but SNDBCK2DLQ_TIMES, which no 5.x version
// cleans; without it (4.x's default) every one stays: docs/leaks.md.
func (c *Cluster) forgetStats(st *brokerState, topic, group string) {
	if !c.opts.autoDelete() {
		return
	}
	for id, e := range st.stats {
		if e.stats == statSendBackToDLQ {
			continue
		}
		if (topic != "" && e.topic == topic) || (group != "" && e.group == group) {
			delete(st.stats, id)
		}
	}
}

// put stores perQueue messages on every queue of t, counting them where
// the broker counts a producer's put.
func (c *Cluster) put(st *brokerState, t *topic, at, perQueue int64) {
	if perQueue <= 0 {
		return
	}
	lmq := strings.HasPrefix(t.name, lmqPrefix)
	if t.put == nil && !lmq { // LMQ puts are counted on their parent topic
		t.put = st.stat(statTopicPutNums, t.name, t.name, "", at)
		t.size = st.stat(statTopicPutSize, t.name, t.name, "", at)
	}
	c.store(st, t, at, perQueue)
	if c.p.v4 || lmq {
		return
	}
	for q := 0; q < t.queues; q++ {
		st.stat(statTopicPutLatency, strconv.Itoa(q)+"@"+t.name, t.name, "", at).add(at, 0, perQueue)
	}
}

// store writes messages to t's queues and the broker-wide counters; t's
// own stat items count them only where put attached them (a send-back
// stores without).
func (c *Cluster) store(st *brokerState, t *topic, at, perQueue int64) {
	t.putMessages(at, perQueue, c.opts.MessageSize)
	n := perQueue * int64(t.queues)
	st.put.add(at, n, n)
	st.putBytes += n * c.opts.MessageSize
	st.putTimes += n
}

// consume moves a pair to its topic's end, counting the get where the
// broker counts it; it returns the messages consumed.
func (c *Cluster) consume(st *brokerState, s *sub, at int64) int64 {
	d := s.lag() * int64(s.t.queues)
	if d <= 0 {
		return 0
	}
	topic, group := s.t.name, s.g.name
	lmq := strings.HasPrefix(topic, lmqPrefix)
	if s.get == nil {
		key := topic + "@" + group
		if lmq && !c.opts.LmqStats {
			key = lmqPrefix + "@" + group // folded: bounded however many LMQs
		}
		s.get = st.stat(statGroupGetNums, key, topic, group, at)
		s.size = st.stat(statGroupGetSize, key, topic, group, at)
	}
	s.consume(at, c.opts.MessageSize)
	st.get.add(at, d, int64(s.t.queues))
	if !lmq {
		for q := 0; q < s.t.queues; q++ {
			st.stat(statGroupGetLatency, strconv.Itoa(q)+"@"+topic+"@"+group, topic, group, at).add(at, 0, 1)
		}
	}
	return d
}

// sendBack is a consumer returning n messages of topic it failed to
// process: counted in SNDBCK_PUT_NUMS and stored in the group's retry
// topic (by way of SCHEDULE_TOPIC_XXXX, whose put stats count them) or,
// with toDLQ (retries used up), in its DLQ topic, which 5.x counts in
// SNDBCK2DLQ_TIMES. The broker counts no TOPIC_PUT_* for the retry or DLQ
// topic on a send-back (SendMessageProcessor.consumerSendMsgBack), so a
// deleted group's leftover topics hold none.
func (c *Cluster) sendBack(st *brokerState, g *group, topic string, n int64, toDLQ bool, at int64) {
	st.stat(statSendBack, topic+"@"+g.name, topic, g.name, at).add(at, n, n)
	target := retryPrefix + g.name
	if toDLQ {
		target = dlqPrefix + g.name
		if !c.p.v4 {
			key := "null@" + topic + "@" + g.name + "@SEND_BACK_TO_DLQ"
			st.stat(statSendBackToDLQ, key, topic, g.name, at).add(at, n, 1)
		}
	} else if sched := st.topics["SCHEDULE_TOPIC_XXXX"]; sched != nil {
		st.stat(statTopicPutNums, sched.name, sched.name, "", at).add(at, n, n)
		st.stat(statTopicPutSize, sched.name, sched.name, "", at).add(at, n*c.opts.MessageSize, n)
	}
	t := st.topics[target]
	if t == nil {
		t = c.addTopic(st, target, 1, at)
	}
	c.store(st, t, at, n)
}
