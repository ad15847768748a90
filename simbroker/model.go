package simbroker

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// SystemTopics and SystemGroups are how many topics and groups every
// broker holds before any business one (13 and 8 on 5.3.3).
func (c *Cluster) SystemTopics() int { return len(c.p.systemTopics) }

// SystemGroups: see SystemTopics.
func (c *Cluster) SystemGroups() int { return len(c.p.systemGroups) }

const (
	topicPrefix = "sim-topic-"
	groupPrefix = "sim-group-"
	retryPrefix = "%RETRY%"
)

func expand(name, cluster, broker string) string {
	out := []byte{}
	for i := 0; i < len(name); i++ {
		if name[i] == '%' && i+1 < len(name) && (name[i+1] == 'c' || name[i+1] == 'b') {
			if name[i+1] == 'c' {
				out = append(out, cluster...)
			} else {
				out = append(out, broker...)
			}
			i++
			continue
		}
		out = append(out, name[i])
	}
	return string(out)
}

func (c *Cluster) build() {
	o := c.opts
	start := c.boot
	for i := 0; i < o.Brokers; i++ {
		st := newBrokerState(fmt.Sprintf("broker-%d", i), i, start)
		for _, s := range c.p.systemTopics {
			t := &topic{name: expand(s.name, o.Cluster, st.name), queues: s.queues, perm: s.perm, system: true,
				created: start, baseAt: start}
			st.topics[t.name] = t
		}
		for _, g := range c.p.systemGroups {
			st.groups[g] = &group{name: g, system: true, created: start}
		}
		for p := 0; p < o.Producers; p++ {
			st.producers = append(st.producers, producer{group: fmt.Sprintf("PID_sim_%d", p),
				id: fmt.Sprintf("127.0.0.1@%d#%d", 40000+p, 7000000000+int64(p)), port: 41000 + p})
		}
		c.bs = append(c.bs, st)
	}
	c.topicSlots = make([]*topic, o.Topics)
	for i := range c.topicSlots {
		c.topicSlots[i] = c.newTopic(i, c.nextName(topicPrefix))
	}
	c.groupSlots = make([]*group, o.Groups)
	clients := o.Clients
	online := 0
	for j := 0; j < o.Groups; j++ {
		if c.slotOnline(j) {
			online++
		}
	}
	if clients <= 0 {
		clients = online
	}
	per := make([]int, o.Groups)
	for k, j := 0, 0; k < clients && online > 0; j = (j + 1) % o.Groups {
		if c.slotOnline(j) {
			per[j]++
			k++
		}
	}
	for j := range c.groupSlots {
		c.groupSlots[j] = c.newGroup(j, c.nextName(groupPrefix), per[j])
	}
}

// slotOnline and slotActive pick one slot in every OnlineEvery (and
// ActiveEvery) by independent hashes, so being online does not imply
// that the group's topic is busy, nor the other way round.
func (c *Cluster) slotOnline(j int) bool {
	return c.opts.OnlineEvery > 0 && mix(uint64(j), 0x9e3779b97f4a7c15)%uint64(c.opts.OnlineEvery) == 0
}

func (c *Cluster) slotActive(i int) bool {
	return c.opts.ActiveEvery > 0 && mix(uint64(i), 0xc2b2ae3d27d4eb4f)%uint64(c.opts.ActiveEvery) == 0
}

// mix is splitmix64's finaliser over x+seed.
func mix(x, seed uint64) uint64 {
	x += seed
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// slotBroker is where topic slot i lives; group slot j lives with its topic.
func (c *Cluster) slotBroker(i int) *brokerState { return c.bs[i%len(c.bs)] }

func (c *Cluster) groupBroker(j int) *brokerState {
	if c.opts.Topics > 0 {
		return c.slotBroker(j % c.opts.Topics)
	}
	return c.slotBroker(j)
}

// newTopic makes a business topic for slot i, its queues already holding
// InitialMessages stored over the hour before now.
func (c *Cluster) newTopic(i int, name string) *topic {
	now := c.nowMs()
	st := c.slotBroker(i)
	t := &topic{name: name, queues: c.opts.Queues, perm: 6, active: c.slotActive(i), created: now - time.Hour.Milliseconds(),
		maxQ: c.opts.InitialMessages, baseQ: c.opts.InitialMessages, baseAt: now}
	st.topics[name] = t
	st.topicVersion++
	st.versionAt = now
	return t
}

// newGroup makes a group for slot j with n clients, subscribed to its
// slot's topic with committed offsets: caught up when online, OfflineLag
// behind otherwise.
func (c *Cluster) newGroup(j int, name string, n int) *group {
	now := c.nowMs()
	st := c.groupBroker(j)
	g := &group{name: name, online: n > 0, created: now}
	for k := 0; k < n; k++ {
		c.seq++
		g.clients = append(g.clients, client{id: fmt.Sprintf("127.0.%d.%d@%d#%d", (c.seq>>8)&255, c.seq&255, 20000+c.seq%40000, 1795626960000000000+int64(c.seq)),
			addr: fmt.Sprintf("127.0.0.1:%d", 30000+c.seq%30000)})
	}
	if g.online {
		rt := &topic{name: retryPrefix + name, queues: 1, perm: 6, created: now, baseAt: now}
		st.topics[rt.name] = rt
		g.retry = rt
		st.topicVersion++
	}
	if c.opts.Topics > 0 {
		c.subscribe(g, c.topicSlots[j%c.opts.Topics], now)
	}
	st.groups[name] = g
	st.groupVersion++
	st.versionAt = now
	return g
}

func (c *Cluster) subscribe(g *group, t *topic, now int64) {
	if t == nil || t.deleted {
		return
	}
	s := &sub{t: t, g: g, offset: t.maxQ, lastConsume: now - 30*time.Minute.Milliseconds()}
	if !g.online {
		s.offset = max(0, t.maxQ-c.opts.OfflineLag)
	}
	g.subs = append(g.subs, s)
	t.subs = append(t.subs, s)
}

func removeSub(list []*sub, s *sub) []*sub {
	for i, x := range list {
		if x == s {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// deleteTopic removes a topic with its offsets and (autoDeleteUnusedStats)
// its stat items, as DELETE_TOPIC_IN_BROKER does.
func (c *Cluster) deleteTopic(st *brokerState, t *topic) {
	if t.deleted {
		return
	}
	t.deleted = true
	delete(st.topics, t.name)
	for _, s := range t.subs {
		s.g.subs = removeSub(s.g.subs, s)
		if s.g.deleted && len(s.g.subs) == 0 {
			delete(st.gone, s.g.name) // its last orphaned offset went with the topic
		}
	}
	t.subs = nil
	c.forgetStats(st, t.name, "")
	st.deleted["topic:"+t.name] = true
	st.topicVersion++
	st.offsetVersion++
	st.versionAt = c.nowMs()
}

// deleteGroup removes a group's config and clients and, with cleanOffset,
// its offsets (without, they stay in the offset table, orphaned). Its retry
// and DLQ topics stay, as on a real broker, unless dropRetry.
func (c *Cluster) deleteGroup(st *brokerState, g *group, cleanOffset, dropRetry bool) {
	if g.deleted {
		return
	}
	g.deleted = true
	g.online, g.clients = false, nil
	delete(st.groups, g.name)
	if cleanOffset {
		for _, s := range g.subs {
			s.t.subs = removeSub(s.t.subs, s)
		}
		g.subs = nil
		st.offsetVersion++
	} else if len(g.subs) > 0 {
		st.gone[g.name] = g
	}
	c.forgetStats(st, "", g.name)
	if dropRetry {
		for _, prefix := range []string{retryPrefix, dlqPrefix} {
			if t := st.topics[prefix+g.name]; t != nil {
				c.deleteTopic(st, t)
			}
		}
	}
	st.deleted["group:"+g.name] = true
	st.groupVersion++
	st.versionAt = c.nowMs()
}

// Tick applies one tick of traffic now: PutsPerTick messages on every
// queue of every active topic, consumed at once by the online groups.
func (c *Cluster) Tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	at := c.nowMs()
	o := c.opts
	for i, t := range c.topicSlots {
		if t == nil || t.deleted || !t.active {
			continue
		}
		st := c.slotBroker(i)
		if st.down {
			continue
		}
		c.put(st, t, at, o.PutsPerTick)
		for _, s := range t.subs {
			if s.g.online {
				c.consume(st, s, at)
			}
		}
		st.offsetVersion++
	}
}

// Churn deletes frac of the business topics and of the groups and creates
// as many new ones in their slots, so the cluster keeps its shape: a new
// topic inherits its predecessor's broker, activity and subscribers (as
// new pairs), a new group its predecessor's topic and online state (with
// new clients). A deleted group's retry topic goes with it.
func (c *Cluster) Churn(frac float64) (topics, groups int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.nowMs()
	for _, i := range c.pick(len(c.topicSlots), frac) {
		old := c.topicSlots[i]
		st := c.slotBroker(i)
		subs := append([]*sub(nil), old.subs...)
		c.deleteTopic(st, old)
		t := c.newTopic(i, c.nextName(topicPrefix))
		c.topicSlots[i] = t
		for _, s := range subs {
			if !s.g.deleted {
				c.subscribe(s.g, t, now)
			}
		}
		topics++
	}
	for _, j := range c.pick(len(c.groupSlots), frac) {
		old := c.groupSlots[j]
		st := c.groupBroker(j)
		n := len(old.clients) // deleting the group disconnects them
		c.deleteGroup(st, old, true, true)
		c.groupSlots[j] = c.newGroup(j, c.nextName(groupPrefix), n)
		groups++
	}
	return topics, groups
}

// pick chooses round(n*frac) distinct indexes below n.
func (c *Cluster) pick(n int, frac float64) []int {
	k := int(math.Round(float64(n) * frac))
	if k <= 0 || n == 0 {
		return nil
	}
	if k >= n {
		k = n
	}
	chosen := make(map[int]bool, k)
	out := make([]int, 0, k)
	for len(out) < k {
		i := c.rng.Intn(n)
		if !chosen[i] {
			chosen[i] = true
			out = append(out, i)
		}
	}
	return out
}

// BrokerTruth is what one master holds, for checking what an exporter
// reports and how many calls it needed.
type BrokerTruth struct {
	Name, Addr string
	Topics     int // topic configs: system, retry and business
	Covered    int // topics some group has committed offsets on
	Groups     int // subscription groups, system ones included
	// ActiveTopics received messages within the window; ActiveUncovered
	// are those of them no group has offsets on.
	ActiveTopics    int
	ActiveUncovered int
	Pairs           int // (topic, group) pairs with committed offsets
	ConsumingPairs  int // pairs whose offset moved within the window
	LaggingPairs    int
	OnlineGroups    int
	Clients         int
	Producers       int
	Messages        int64 // sum of every topic's max offsets
	Lag             int64 // sum of every pair's lag
	// TopicList and GroupList name what the counts above count, sorted,
	// for a formula that depends on names (an exporter spreading its calls
	// by name hash).
	TopicList []TopicTruth `json:",omitempty"`
	GroupList []GroupTruth `json:",omitempty"`
}

// TopicTruth is one topic of BrokerTruth.TopicList.
type TopicTruth struct {
	Name            string
	Covered, Active bool
}

// GroupTruth is one group of BrokerTruth.GroupList.
type GroupTruth struct {
	Name   string
	Online bool
}

// Truth reports every master's holdings; window bounds "active" and
// "consuming" (the exporter uses 70 s).
func (c *Cluster) Truth(window time.Duration) []BrokerTruth {
	c.mu.RLock()
	defer c.mu.RUnlock()
	since := c.nowMs() - window.Milliseconds()
	out := make([]BrokerTruth, len(c.bs))
	for i, st := range c.bs {
		bt := BrokerTruth{Name: st.name, Topics: len(st.topics), Groups: len(st.groups), Producers: len(st.producers)}
		if i < len(c.Brokers) {
			bt.Addr = c.Brokers[i].Addr()
		}
		for _, t := range st.topics {
			covered := len(t.subs) > 0
			bt.TopicList = append(bt.TopicList, TopicTruth{Name: t.name, Covered: covered, Active: t.lastPut > since})
			if covered {
				bt.Covered++
			}
			if t.lastPut > since {
				bt.ActiveTopics++
				if !covered {
					bt.ActiveUncovered++
				}
			}
			bt.Messages += t.maxQ * int64(t.queues)
		}
		for _, g := range st.groups {
			bt.GroupList = append(bt.GroupList, GroupTruth{Name: g.name, Online: len(g.clients) > 0})
			if len(g.clients) > 0 {
				bt.OnlineGroups++
				bt.Clients += len(g.clients)
			}
			for _, s := range g.subs {
				bt.Pairs++
				if s.moved > since {
					bt.ConsumingPairs++
				}
				if l := s.lag(); l > 0 {
					bt.LaggingPairs++
					bt.Lag += l * int64(s.t.queues)
				}
			}
		}
		sort.Slice(bt.TopicList, func(a, b int) bool { return bt.TopicList[a].Name < bt.TopicList[b].Name })
		sort.Slice(bt.GroupList, func(a, b int) bool { return bt.GroupList[a].Name < bt.GroupList[b].Name })
		out[i] = bt
	}
	return out
}
