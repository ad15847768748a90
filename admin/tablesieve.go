package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"iter"

	"github.com/rocketmq-exporter/rocketmq_exporter/fastjson"
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
// (TopicConfigTable.Others). last is the table this call returned for the
// same broker and keep before, or nil: when the answer carries last's data
// version, last is returned undecoded (see tableAnswer).
func (c *Client) SiftedTopicConfig(ctx context.Context, broker string, keep func(topic string) bool, last *TopicConfigTable) (*TopicConfigTable, error) {
	t := &TopicConfigTable{keep: keep}
	a := tableAnswer[TopicConfigTable, *TopicConfigTable]{table: t}
	if last != nil {
		a.last = last.version
	}
	if _, err := c.call(ctx, broker, remoting.GetAllTopicConfig, nil, nil, &a); err != nil {
		return nil, err
	}
	if a.same {
		return last, nil
	}
	t.sift() // what encoding/json read, when the hand reader could not
	t.keep, t.version = nil, bytes.Clone(a.version)
	return t, nil
}

// SiftedSubscriptionGroups is AllSubscriptionGroups keeping the configs of
// the groups keep accepts (nil: all) and the others' names
// (SubscriptionGroupTable.Others); last as for SiftedTopicConfig.
func (c *Client) SiftedSubscriptionGroups(ctx context.Context, broker string, keep func(group string) bool, last *SubscriptionGroupTable) (*SubscriptionGroupTable, error) {
	t := &SubscriptionGroupTable{keep: keep}
	a := tableAnswer[SubscriptionGroupTable, *SubscriptionGroupTable]{table: t}
	if last != nil {
		a.last = last.version
	}
	if _, err := c.call(ctx, broker, remoting.GetAllSubscriptionGroupConfig, nil, nil, &a); err != nil {
		return nil, err
	}
	if a.same {
		return last, nil
	}
	t.sift()
	t.keep, t.version = nil, bytes.Clone(a.version)
	return t, nil
}

// tableAnswer reads a topic or group table answer unless it carries the
// data version of the table kept from the last call. A broker bumps its
// table's data version with every change (its slaves sync a table only
// when the version differs), so an equal version is an equal table: the
// unchanged tables of a broker at rest are received but not decoded.
type tableAnswer[T any, PT interface {
	*T
	fastjson.RawReader
}] struct {
	table   PT
	last    []byte // the kept table's version, nil when none
	version []byte // this answer's, aliasing the body
	same    bool   // version is last: table was not read
}

func (a *tableAnswer[T, PT]) ReadRaw(b []byte) bool {
	a.version = leadingVersion(b)
	if a.version != nil && bytes.Equal(a.version, a.last) {
		a.same = true
		return true
	}
	return a.table.ReadRaw(b)
}

func (a *tableAnswer[T, PT]) ReadNormalized(b []byte) bool { return a.table.ReadNormalized(b) }

func (a *tableAnswer[T, PT]) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, a.table) }

// leadingVersion is the dataVersion object a table answer starts with, as
// every broker version writes it ({"dataVersion":{"counter":3,
// "timestamp":1795628173022},...}), or nil when the answer starts any
// other way or the object is not a flat one of names and integers.
func leadingVersion(body []byte) []byte {
	const head = `{"dataVersion":{`
	if !bytes.HasPrefix(body, []byte(head)) {
		return nil
	}
	obj := body[len(head)-1:]
	for i := 1; i < len(obj); {
		// "name":-?digits then ',' or the closing '}'
		j := i
		if obj[j] != '"' {
			return nil
		}
		for j++; j < len(obj) && (obj[j] >= 'a' && obj[j] <= 'z' || obj[j] >= 'A' && obj[j] <= 'Z'); j++ {
		}
		if j+1 >= len(obj) || obj[j] != '"' || obj[j+1] != ':' {
			return nil
		}
		j += 2
		if j < len(obj) && obj[j] == '-' {
			j++
		}
		digits := j
		for ; j < len(obj) && obj[j] >= '0' && obj[j] <= '9'; j++ {
		}
		if j == digits || j >= len(obj) {
			return nil
		}
		switch obj[j] {
		case '}':
			return obj[:j+1]
		case ',':
			i = j + 1
		default:
			return nil
		}
	}
	return nil
}

// queuesOf is what leak planning needs of a topic's config.
func queuesOf(tc TopicConfig) int32 { return int32(max(tc.ReadQueueNums, tc.WriteQueueNums)) }

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
