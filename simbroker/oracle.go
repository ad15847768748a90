package simbroker

import (
	"sort"
	"strings"
	"time"
)

// BrokerView is what one broker (its master) holds, read from the
// simulator's own state: the truth to compare an exporter's output with.
// Nothing in it comes from a client.
type BrokerView struct {
	Cluster, Name, Addr string
	Namesrvs            []string // the namesrvs it registers with
	// Up: running and registered. A killed broker is not listed by the
	// namesrvs; what it stored is still shown here, for its restart.
	Up   bool
	Boot time.Time

	Topics []string       // configured topics, sorted: system, retry and DLQ ones included
	Queues map[string]int // queue count of each configured topic
	Groups []string       // configured consumer groups, sorted, system ones included
	// System names the topics and groups a fresh broker holds.
	System map[string]bool
	// Clients are the online consumer clients' ids by group.
	Clients map[string][]string
	// Producers are the producer clients' ids by producer group.
	Producers map[string][]string
	// Offsets are the offset table's entries (LMQs included), sorted.
	Offsets []Offset
	LMQs    []string // light message queues with offsets, sorted

	// Leaked are the stat items the broker still answers for a topic or
	// group that no longer exists on it (LMQ items aside: LMQs are never
	// deleted), sorted by stats and key.
	Leaked []LeakedItem
	// Orphans are offset entries whose topic or group is gone (LMQs aside).
	Orphans []Offset
	// Leftovers are %RETRY%/%DLQ% topics whose group is gone.
	Leftovers []string
	// Deleted counts the distinct topic and group names ever deleted here.
	Deleted int
}

// Offset is one entry of a broker's offset table.
type Offset struct{ Topic, Group string }

// LeakedItem is a stat item of a deleted subject. Subject is the deleted
// topic (Kind "topic") when the topic is gone, else the deleted group.
// Topic and Group are what the item's key names (Group "" for a topic's
// own items).
type LeakedItem struct {
	Stats, Key    string
	Subject, Kind string
	Topic, Group  string
}

// Oracle reports every broker's holdings, in broker order.
func (c *Cluster) Oracle() []BrokerView {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ns := make([]string, len(c.Namesrvs))
	for i, s := range c.Namesrvs {
		ns[i] = s.Addr
	}
	out := make([]BrokerView, len(c.bs))
	for i, st := range c.bs {
		v := BrokerView{Cluster: c.opts.Cluster, Name: st.name, Addr: c.Brokers[i].Master.Addr, Namesrvs: ns,
			Up: !st.down, Boot: time.UnixMilli(st.boot), Topics: sortedKeys(st.topics), Groups: sortedKeys(st.groups),
			System: map[string]bool{}, Clients: map[string][]string{}, Producers: map[string][]string{},
			LMQs: sortedKeys(st.lmqs), Deleted: len(st.deleted)}
		for _, t := range c.p.systemTopics {
			v.System[expand(t.name, c.opts.Cluster, st.name)] = true
		}
		v.Queues = make(map[string]int, len(st.topics))
		for name, t := range st.topics {
			v.Queues[name] = t.queues
		}
		for _, g := range c.p.systemGroups {
			v.System[g] = true
		}
		c.viewClients(st, &v)
		c.viewOffsets(st, &v)
		v.Leaked = st.leakedItems()
		out[i] = v
	}
	return out
}

func (c *Cluster) viewClients(st *brokerState, v *BrokerView) {
	for name, g := range st.groups {
		for _, cl := range g.clients {
			v.Clients[name] = append(v.Clients[name], cl.id)
		}
	}
	for _, p := range st.producers {
		v.Producers[p.group] = append(v.Producers[p.group], p.id)
	}
}

func (c *Cluster) viewOffsets(st *brokerState, v *BrokerView) {
	for _, g := range st.offsetGroups() {
		for _, s := range g.subs {
			o := Offset{Topic: s.t.name, Group: g.name}
			v.Offsets = append(v.Offsets, o)
			lmq := strings.HasPrefix(o.Topic, lmqPrefix)
			if !lmq && (st.topics[o.Topic] == nil || st.groups[o.Group] == nil) {
				v.Orphans = append(v.Orphans, o)
			}
		}
	}
	less := func(s []Offset) func(i, j int) bool {
		return func(i, j int) bool { return s[i].Topic+"@"+s[i].Group < s[j].Topic+"@"+s[j].Group }
	}
	sort.Slice(v.Offsets, less(v.Offsets))
	sort.Slice(v.Orphans, less(v.Orphans))
	for _, name := range v.Topics {
		for _, prefix := range []string{retryPrefix, dlqPrefix} {
			if g, ok := strings.CutPrefix(name, prefix); ok && st.groups[g] == nil {
				v.Leftovers = append(v.Leftovers, name)
			}
		}
	}
}

// leakedItems lists the stat items whose topic or group is gone.
func (st *brokerState) leakedItems() []LeakedItem {
	var out []LeakedItem
	for _, e := range st.stats {
		if strings.HasPrefix(e.topic, lmqPrefix) {
			continue
		}
		switch {
		case st.topics[e.topic] == nil:
			out = append(out, LeakedItem{Stats: e.stats, Key: e.key, Subject: e.topic, Kind: "topic", Topic: e.topic, Group: e.group})
		case e.group != "" && st.groups[e.group] == nil:
			out = append(out, LeakedItem{Stats: e.stats, Key: e.key, Subject: e.group, Kind: "group", Topic: e.topic, Group: e.group})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Stats != out[j].Stats {
			return out[i].Stats < out[j].Stats
		}
		return out[i].Key < out[j].Key
	})
	return out
}
