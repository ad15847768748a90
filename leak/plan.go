package leak

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/defect"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

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
