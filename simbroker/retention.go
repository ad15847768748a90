package simbroker

import (
	"sort"
	"time"
)

// Expire deletes every message stored before before, on every topic of
// every broker, as commit-log retention does (fileReservedTime): each
// queue's min offset moves to its first message stored at or after
// before. Consumer offsets stay where they are, as a broker leaves the
// offsets of a group that is not consuming. It returns the messages
// deleted, summed over queues.
func (c *Cluster) Expire(before time.Time) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	cut := before.UnixMilli()
	var n int64
	for _, st := range c.bs {
		for _, t := range st.topics {
			first := t.minQ + int64(sort.Search(int(t.maxQ-t.minQ), func(i int) bool {
				return t.storeTime(t.minQ+int64(i)) >= cut
			}))
			n += (first - t.minQ) * int64(t.queues)
			t.minQ = first
		}
		st.offsetVersion++
	}
	return n
}

// Consume moves group's committed offset forward by perQueue messages on
// every queue of every topic it has offsets on (never past the topic's
// end), as a consumer slower than its producers does. It reports whether
// the group exists.
func (c *Cluster) Consume(group string, perQueue int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	at := c.nowMs()
	for _, st := range c.bs {
		g := st.groups[group]
		if g == nil {
			continue
		}
		for _, s := range g.subs {
			d := min(perQueue, s.t.maxQ-s.offset)
			if d <= 0 {
				continue
			}
			s.offset += d
			s.lastConsume, s.moved = at, at
			if s.get == nil {
				s.get, s.size = &statItem{created: at}, &statItem{created: at}
			}
			s.get.add(at, d*int64(s.t.queues), int64(s.t.queues))
			s.size.add(at, d*int64(s.t.queues)*c.opts.MessageSize, int64(s.t.queues))
		}
		st.offsetVersion++
		return true
	}
	return false
}

// OldestUnconsumed is the store time of the oldest message of topic that
// group has not consumed and that is still stored; false when the group
// is caught up, or has no offsets on the topic, or the topic holds
// nothing it has not consumed.
func (c *Cluster) OldestUnconsumed(topic, group string) (time.Time, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, st := range c.bs {
		g := st.groups[group]
		if g == nil {
			continue
		}
		for _, s := range g.subs {
			if s.t.name != topic {
				continue
			}
			o := max(s.offset, s.t.minQ)
			if o >= s.t.maxQ {
				return time.Time{}, false
			}
			return time.UnixMilli(s.t.storeTime(o)), true
		}
	}
	return time.Time{}, false
}

// storedTime is storeTime for a message still stored, and -1 (the
// broker's "no such message") for one retention deleted.
func (t *topic) storedTime(o int64) int64 {
	if o < t.minQ {
		return -1
	}
	return t.storeTime(o)
}

// earliestStored is the store time of the oldest message the broker still
// holds (earliestMessageTimeStamp), -1 when it holds none.
func (c *Cluster) earliestStored(st *brokerState) int64 {
	earliest := int64(-1)
	for _, t := range st.topics {
		if t.maxQ <= t.minQ {
			continue
		}
		if at := t.storeTime(t.minQ); earliest < 0 || at < earliest {
			earliest = at
		}
	}
	return earliest
}
