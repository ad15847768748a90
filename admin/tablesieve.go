package admin

import (
	"context"
	"iter"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// The topic and group tables of a broker are read whole by every replica
// of a sharded exporter (it counts every topic and group, and tells whose
// retry topic a name is), but a replica needs the configs of its own
// entries only. A sieve keeps those whole and, of every other entry, its
// name (and a topic's queue count, for leak planning): a quarter of the
// table's memory per entry, dropped as each entry is read.

// SiftedTopicConfig is AllTopicConfig keeping the configs of the topics
// keep accepts (nil: all) and, of the others, name and queue count
// (TopicConfigTable.Others).
func (c *Client) SiftedTopicConfig(ctx context.Context, broker string, keep func(topic string) bool) (*TopicConfigTable, error) {
	t := TopicConfigTable{keep: keep}
	if _, err := c.call(ctx, broker, remoting.GetAllTopicConfig, nil, nil, &t); err != nil {
		return nil, err
	}
	t.sift() // what encoding/json read, when the hand reader could not
	t.keep = nil
	return &t, nil
}

// SiftedSubscriptionGroups is AllSubscriptionGroups keeping the configs of
// the groups keep accepts (nil: all) and the others' names
// (SubscriptionGroupTable.Others).
func (c *Client) SiftedSubscriptionGroups(ctx context.Context, broker string, keep func(group string) bool) (*SubscriptionGroupTable, error) {
	t := SubscriptionGroupTable{keep: keep}
	if _, err := c.call(ctx, broker, remoting.GetAllSubscriptionGroupConfig, nil, nil, &t); err != nil {
		return nil, err
	}
	t.sift()
	t.keep = nil
	return &t, nil
}

// queuesOf is what leak planning needs of a topic's config.
func queuesOf(tc TopicConfig) int32 { return int32(max(tc.ReadQueueNums, tc.WriteQueueNums)) }

// open readies the table for an answer's entries, as encoding/json
// decodes a map: null clears it, an object adds to it.
func (t *TopicConfigTable) open(null bool) {
	switch {
	case null:
		t.TopicConfigTable, t.Others = nil, nil
	case t.TopicConfigTable == nil:
		t.TopicConfigTable = map[string]TopicConfig{}
	}
}

// put files one entry read from the answer by the sieve.
func (t *TopicConfigTable) put(name string, tc TopicConfig) {
	if t.keep == nil || t.keep(name) {
		t.TopicConfigTable[name] = tc
		return
	}
	delete(t.TopicConfigTable, name) // sift moves it out
	if t.Others == nil {
		t.Others = map[string]int32{}
	}
	t.Others[name] = queuesOf(tc)
}

// sift moves what keep rejects out of the config map.
func (t *TopicConfigTable) sift() {
	if t.keep == nil {
		return
	}
	for name, tc := range t.TopicConfigTable {
		if !t.keep(name) {
			t.put(name, tc)
		}
	}
}

// Has tells whether the broker holds topic name, config kept or not.
func (t *TopicConfigTable) Has(name string) bool {
	if _, ok := t.TopicConfigTable[name]; ok {
		return true
	}
	_, ok := t.Others[name]
	return ok
}

// Len is how many topics the broker holds.
func (t *TopicConfigTable) Len() int { return len(t.TopicConfigTable) + len(t.Others) }

// Queues yields every topic the broker holds with its queue count (the
// larger of its read and write queue numbers), in no order.
func (t *TopicConfigTable) Queues() iter.Seq2[string, int] {
	return func(yield func(string, int) bool) {
		for name, tc := range t.TopicConfigTable {
			if !yield(name, int(queuesOf(tc))) {
				return
			}
		}
		for name, q := range t.Others {
			if !yield(name, int(q)) {
				return
			}
		}
	}
}

func (t *SubscriptionGroupTable) open(null bool) {
	switch {
	case null:
		t.SubscriptionGroupTable, t.Others = nil, nil
	case t.SubscriptionGroupTable == nil:
		t.SubscriptionGroupTable = map[string]SubscriptionGroupConfig{}
	}
}

func (t *SubscriptionGroupTable) put(name string, g SubscriptionGroupConfig) {
	if t.keep == nil || t.keep(name) {
		t.SubscriptionGroupTable[name] = g
		return
	}
	delete(t.SubscriptionGroupTable, name) // sift moves it out
	if t.Others == nil {
		t.Others = map[string]struct{}{}
	}
	t.Others[name] = struct{}{}
}

func (t *SubscriptionGroupTable) sift() {
	if t.keep == nil {
		return
	}
	for name, g := range t.SubscriptionGroupTable {
		if !t.keep(name) {
			t.put(name, g)
		}
	}
}

// Has tells whether the broker holds group name, config kept or not.
func (t *SubscriptionGroupTable) Has(name string) bool {
	if _, ok := t.SubscriptionGroupTable[name]; ok {
		return true
	}
	_, ok := t.Others[name]
	return ok
}

// Len is how many groups the broker holds.
func (t *SubscriptionGroupTable) Len() int { return len(t.SubscriptionGroupTable) + len(t.Others) }

// Names yields every group the broker holds, in no order.
func (t *SubscriptionGroupTable) Names() iter.Seq[string] {
	return func(yield func(string) bool) {
		for name := range t.SubscriptionGroupTable {
			if !yield(name) {
				return
			}
		}
		for name := range t.Others {
			if !yield(name) {
				return
			}
		}
	}
}
