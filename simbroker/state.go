package simbroker

import (
	"time"
)

// markCap bounds the samples kept per stat item and per topic. At one tick
// per 15 s it covers an hour; past that the oldest sample stands in for
// the start of the hour and day windows.
const markCap = 256

// statMark is a stat item's running totals at one instant.
type statMark struct {
	at         int64 // ms
	cum, times int64
}

// statItem is one broker stat item (TOPIC_PUT_NUMS@topic, ...). It exists
// from its first increment on, as on a real broker.
type statItem struct {
	created    int64
	cum, times int64
	marks      []statMark
	truncated  bool // marks were dropped for markCap
}

func (s *statItem) add(at, v, times int64) {
	s.cum += v
	s.times += times
	if n := len(s.marks); n > 0 && s.marks[n-1].at == at {
		s.marks[n-1] = statMark{at, s.cum, s.times}
		return
	}
	if len(s.marks) == markCap {
		s.truncated = true
		copy(s.marks, s.marks[1:])
		s.marks = s.marks[:markCap-1]
	}
	s.marks = append(s.marks, statMark{at, s.cum, s.times})
}

// window returns the sum, rate and average of the last span: the sum is
// exactly the increments since now-span, the rate that sum over the time
// the window covers (shorter for an item younger than the window).
func (s *statItem) window(now int64, span time.Duration) (sum int64, tps, avgpt float64) {
	start := now - span.Milliseconds()
	from := max(start, s.created)
	var base statMark // before the first increment the totals were zero
	for i := len(s.marks) - 1; i >= 0; i-- {
		if s.marks[i].at <= start {
			base = s.marks[i]
			break
		}
	}
	if s.truncated && len(s.marks) > 0 && s.marks[0].at > start {
		// older samples are gone: the oldest kept one stands in
		base, from = s.marks[0], s.marks[0].at
	}
	sum = s.cum - base.cum
	times := s.times - base.times
	elapsed := max(now-from, 1000)
	tps = float64(sum) * 1000 / float64(elapsed)
	if times > 0 {
		avgpt = float64(sum) / float64(times)
	}
	return sum, tps, avgpt
}

// qmark is a topic's per-queue max offset after a tick that put messages.
type qmark struct {
	at   int64
	maxQ int64
}

type topic struct {
	name    string
	queues  int
	perm    int
	order   bool
	system  bool
	active  bool // receives traffic every tick
	deleted bool
	created int64 // ms

	// Every queue holds the same offsets: maxQ messages put so far, the
	// first minQ of them gone. Messages below baseQ were stored evenly
	// between created and baseAt; later ones at the times in marks.
	maxQ, minQ    int64
	baseQ, baseAt int64
	lastPut       int64
	marks         []qmark
	put, size     *statItem
	subs          []*sub
}

// storeTime is when message o of any queue was stored (ms).
func (t *topic) storeTime(o int64) int64 {
	if o < t.baseQ {
		if t.baseQ == 0 {
			return t.created
		}
		return t.created + (t.baseAt-t.created)*o/t.baseQ
	}
	for _, m := range t.marks {
		if m.maxQ > o {
			return m.at
		}
	}
	if t.lastPut > 0 {
		return t.lastPut
	}
	return t.baseAt
}

func (t *topic) putMessages(at, perQueue, size int64) {
	t.maxQ += perQueue
	t.lastPut = at
	if len(t.marks) == markCap {
		t.baseQ, t.baseAt = t.marks[0].maxQ, t.marks[0].at
		copy(t.marks, t.marks[1:])
		t.marks = t.marks[:markCap-1]
	}
	t.marks = append(t.marks, qmark{at, t.maxQ})
	n := perQueue * int64(t.queues)
	if t.put != nil { // a send-back stores without counting
		t.put.add(at, n, n)
		t.size.add(at, n*size, n)
	}
}

type client struct {
	id, addr string
}

type group struct {
	name    string
	system  bool
	online  bool
	created int64
	clients []client
	subs    []*sub
	retry   *topic // %RETRY%<group>, made when the group first came online
	deleted bool
}

// sub is a (topic, group) pair with committed offsets: every queue of the
// topic at offset.
type sub struct {
	t           *topic
	g           *group
	offset      int64
	lastConsume int64
	moved       int64 // last time offset changed (ms)
	get, size   *statItem
}

func (s *sub) lag() int64 { return max(0, s.t.maxQ-s.offset) }

func (s *sub) consume(at, size int64) {
	d := s.t.maxQ - s.offset
	if d <= 0 {
		return
	}
	s.offset = s.t.maxQ
	s.lastConsume, s.moved = at, at
	n := d * int64(s.t.queues)
	if s.get == nil {
		s.get, s.size = &statItem{created: at}, &statItem{created: at}
	}
	s.get.add(at, n, int64(s.t.queues))
	s.size.add(at, n*size, int64(s.t.queues))
}

type producer struct {
	group, id, addr string
	port            int
}

// brokerState is everything one broker group holds. The cluster's lock
// guards it.
type brokerState struct {
	name          string
	idx           int
	boot          int64
	down          bool // killed: not listening, not registered
	topics        map[string]*topic
	groups        map[string]*group
	producers     []producer
	topicVersion  int64
	groupVersion  int64
	offsetVersion int64
	versionAt     int64
	put, get      statItem // broker-wide message counts
	// stats holds every stat item by "STATS_NAME@key", those of deleted
	// subjects too while the broker keeps them (see forgetStats).
	stats map[string]*statEntry
	// lmqs are the light message queues consumers have offsets on: never
	// in the topic config, never deleted.
	lmqs map[string]*topic
	// gone holds groups deleted without their offsets, whose offsets
	// (orphaned) the broker still keeps; re-creating the group adopts them.
	gone map[string]*group
	// routeOnly are topics deleted in the broker alone: the namesrv keeps
	// their route (queue count) until it is told to delete them.
	routeOnly map[string]int
	// deleted names every "topic:<name>" and "group:<name>" ever deleted.
	deleted  map[string]bool
	putBytes int64
	putTimes int64
}

func newBrokerState(name string, idx int, boot int64) *brokerState {
	st := &brokerState{name: name, idx: idx, boot: boot, topics: map[string]*topic{}, groups: map[string]*group{},
		versionAt: boot, stats: map[string]*statEntry{}, lmqs: map[string]*topic{}, gone: map[string]*group{},
		routeOnly: map[string]int{}, deleted: map[string]bool{}}
	st.put.created, st.get.created = boot, boot
	return st
}
