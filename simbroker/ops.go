package simbroker

import (
	"fmt"
	"sort"
	"strings"
)

// Deletion is the way a topic or group is deleted.
type Deletion int

const (
	// ByAPI is the admin call alone, as an exporter's or an operator's
	// client makes it: DELETE_TOPIC_IN_BROKER on the given broker (the
	// namesrv keeps the topic's route), DELETE_SUBSCRIPTIONGROUP with or
	// without cleanOffset (the group's %RETRY% and %DLQ% topics stay).
	ByAPI Deletion = iota
	// ByMQAdmin is what the mqadmin commands do: `deleteTopic -c` deletes
	// the topic on every broker of the cluster and in the namesrv;
	// `deleteSubGroup -r true` deletes the group on the given broker with
	// its offsets, and its %RETRY% and %DLQ% topics.
	ByMQAdmin
)

func (d Deletion) String() string {
	if d == ByMQAdmin {
		return "mqadmin"
	}
	return "api"
}

// The operations below act on broker index b of the cluster, as clients
// and operators would, and are deterministic: the same calls on the same
// options give the same state. Each reports whether it applied: false
// when what it names does not exist (or already does, for a creation) or
// the broker is killed; an error only for a broker index out of range.

// on runs fn on broker b's state under the cluster's lock.
func (c *Cluster) on(b int, fn func(st *brokerState, at int64) bool) (bool, error) {
	if b < 0 || b >= len(c.bs) {
		return false, fmt.Errorf("simbroker: no broker %d (have %d)", b, len(c.bs))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.bs[b]
	if st.down {
		return false, nil
	}
	return fn(st, c.nowMs()), nil
}

// addTopic configures a new, empty topic on a broker.
func (c *Cluster) addTopic(st *brokerState, name string, queues int, at int64) *topic {
	if queues <= 0 {
		queues = c.opts.Queues
	}
	t := &topic{name: name, queues: queues, perm: 6, created: at, baseAt: at}
	st.topics[name] = t
	delete(st.routeOnly, name)
	st.topicVersion++
	st.versionAt = at
	return t
}

// addGroup configures a group on a broker; one deleted with its offsets
// kept adopts them again, as the broker's offset table is keyed by name.
func (c *Cluster) addGroup(st *brokerState, name string, at int64) *group {
	if g := st.groups[name]; g != nil {
		return g
	}
	g := st.gone[name]
	if g != nil {
		delete(st.gone, name)
		g.deleted = false
	} else {
		g = &group{name: name, created: at}
	}
	st.groups[name] = g
	st.groupVersion++
	st.versionAt = at
	return g
}

// offsetGroups are the groups with entries in the offset table: the
// configured ones and those deleted without their offsets.
func (st *brokerState) offsetGroups() []*group {
	out := make([]*group, 0, len(st.groups)+len(st.gone))
	for _, g := range st.groups {
		out = append(out, g)
	}
	for _, g := range st.gone {
		out = append(out, g)
	}
	return out
}

// CreateTopic configures an empty topic (any name: %RETRY% and %DLQ%
// ones too) with queues queues (0: Options.Queues).
func (c *Cluster) CreateTopic(b int, name string, queues int) (bool, error) {
	return c.on(b, func(st *brokerState, at int64) bool {
		if name == "" || st.topics[name] != nil {
			return false
		}
		c.addTopic(st, name, queues, at)
		return true
	})
}

// DeleteTopic deletes a topic (see Deletion), its offsets with it.
func (c *Cluster) DeleteTopic(b int, name string, how Deletion) (bool, error) {
	if how != ByMQAdmin {
		return c.on(b, func(st *brokerState, at int64) bool {
			t := st.topics[name]
			if t == nil {
				return false
			}
			c.deleteTopic(st, t)
			st.routeOnly[name] = t.queues
			return true
		})
	}
	done := false
	for i := range c.bs {
		ok, err := c.on(i, func(st *brokerState, at int64) bool {
			delete(st.routeOnly, name)
			if t := st.topics[name]; t != nil {
				c.deleteTopic(st, t)
				return true
			}
			return false
		})
		if err != nil {
			return done, err
		}
		done = done || ok
	}
	return done, nil
}

// CreateGroup configures a consumer group (no clients, no offsets yet).
func (c *Cluster) CreateGroup(b int, name string) (bool, error) {
	return c.on(b, func(st *brokerState, at int64) bool {
		if name == "" || st.groups[name] != nil {
			return false
		}
		c.addGroup(st, name, at)
		return true
	})
}

// DeleteGroup deletes a group's config and clients (see Deletion); by the
// API its offsets go only with cleanOffset, by mqadmin always.
func (c *Cluster) DeleteGroup(b int, name string, how Deletion, cleanOffset bool) (bool, error) {
	return c.on(b, func(st *brokerState, at int64) bool {
		g := st.groups[name]
		if g == nil {
			return false
		}
		mq := how == ByMQAdmin
		c.deleteGroup(st, g, cleanOffset || mq, mq)
		if mq {
			delete(st.routeOnly, retryPrefix+name)
			delete(st.routeOnly, dlqPrefix+name)
		}
		return true
	})
}

// Subscribe gives a group committed offsets on a topic of its broker, at
// the topic's end, as a new consumer starting from the last offset does.
func (c *Cluster) Subscribe(b int, group, topic string) (bool, error) {
	return c.on(b, func(st *brokerState, at int64) bool {
		g, t := st.groups[group], st.topics[topic]
		if g == nil || t == nil {
			return false
		}
		for _, s := range g.subs {
			if s.t == t {
				return false
			}
		}
		s := &sub{t: t, g: g, offset: t.maxQ, lastConsume: at}
		g.subs = append(g.subs, s)
		t.subs = append(t.subs, s)
		st.offsetVersion++
		return true
	})
}

// Produce puts perQueue messages on every queue of a topic.
func (c *Cluster) Produce(b int, topic string, perQueue int64) (bool, error) {
	return c.on(b, func(st *brokerState, at int64) bool {
		t := st.topics[topic]
		if t == nil || perQueue <= 0 {
			return false
		}
		c.put(st, t, at, perQueue)
		st.offsetVersion++
		return true
	})
}

// CatchUp moves every subscription of a group on broker b to its topic's
// end (Consume, in retention.go, moves a group by a number of messages).
func (c *Cluster) CatchUp(b int, group string) (bool, error) {
	return c.on(b, func(st *brokerState, at int64) bool {
		g := st.groups[group]
		if g == nil {
			return false
		}
		var n int64
		for _, s := range g.subs {
			n += c.consume(st, s, at)
		}
		st.offsetVersion++
		return n > 0
	})
}

// SetClients connects n consumer clients for a group, replacing those it
// had (0: the group goes offline). A group coming online gets its
// %RETRY% topic, as the broker makes it on the first heartbeat.
func (c *Cluster) SetClients(b int, group string, n int) (bool, error) {
	return c.on(b, func(st *brokerState, at int64) bool {
		g := st.groups[group]
		if g == nil || n < 0 || n == len(g.clients) {
			return false
		}
		if n < len(g.clients) {
			g.clients = g.clients[:n]
		}
		for len(g.clients) < n {
			c.seq++
			g.clients = append(g.clients, client{
				id:   fmt.Sprintf("127.0.%d.%d@%d#%d", (c.seq>>8)&255, c.seq&255, 20000+c.seq%40000, 1795626960000000000+int64(c.seq)),
				addr: fmt.Sprintf("127.0.0.1:%d", 30000+c.seq%30000)})
		}
		g.online = n > 0
		if g.online {
			rt := st.topics[retryPrefix+group]
			if rt == nil {
				rt = c.addTopic(st, retryPrefix+group, 1, at)
			}
			g.retry = rt
		}
		return true
	})
}

// SendBack has a group's consumer return n messages of topic it failed to
// process: to the group's %RETRY% topic, or with toDLQ (retries used up)
// to its %DLQ% topic, made on first use as the broker makes it.
func (c *Cluster) SendBack(b int, group, topic string, n int64, toDLQ bool) (bool, error) {
	return c.on(b, func(st *brokerState, at int64) bool {
		g := st.groups[group]
		if g == nil || st.topics[topic] == nil || n <= 0 {
			return false
		}
		c.sendBack(st, g, topic, n, toDLQ, at)
		st.offsetVersion++
		return true
	})
}

// ConsumeLMQ puts n messages on a light message queue (name with the
// %LMQ% prefix) and has a group consume them: the LMQ gets offsets but
// never a topic config, as rocketmq-mqtt's queues do.
func (c *Cluster) ConsumeLMQ(b int, group, lmq string, n int64) (bool, error) {
	return c.on(b, func(st *brokerState, at int64) bool {
		g := st.groups[group]
		if g == nil || !strings.HasPrefix(lmq, lmqPrefix) || n <= 0 {
			return false
		}
		t := st.lmqs[lmq]
		if t == nil {
			t = &topic{name: lmq, queues: 1, perm: 6, created: at, baseAt: at}
			st.lmqs[lmq] = t
		}
		var s *sub
		for _, x := range g.subs {
			if x.t == t {
				s = x
			}
		}
		if s == nil {
			s = &sub{t: t, g: g, offset: t.maxQ, lastConsume: at}
			g.subs = append(g.subs, s)
			t.subs = append(t.subs, s)
		}
		c.put(st, t, at, n)
		c.consume(st, s, at)
		st.offsetVersion++
		return true
	})
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
