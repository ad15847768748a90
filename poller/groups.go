package poller

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

func (p *Poller) groups(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, l *listings, now time.Time) []snapshot.Group {
	// Sized up front: at 100k topics growing these maps was a tenth of a
	// cycle's map work.
	stats := make(map[string][]admin.ConsumeStats, len(l.consume.Groups))
	for _, g := range l.consume.Groups {
		if !g.Sifted { // a sifted group is one this replica does not serve
			stats[g.Group] = g.Stats
		}
	}
	var prev map[string]*snapshot.Group
	if mem.last != nil {
		prev = make(map[string]*snapshot.Group, len(mem.last.Groups))
		for i := range mem.last.Groups {
			prev[mem.last.Groups[i].Name] = &mem.last.Groups[i]
		}
	}
	names := make([]string, 0, len(l.groups.SubscriptionGroupTable))
	for name := range l.groups.Names() {
		if !p.cfg.Groups.Keep(name) {
			continue
		}
		b.Counts.Groups[snapshot.ClassifyGroup(name)]++
		if p.cfg.Shard.Owns(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	b.Proxies = p.proxiesOf(b) // what connections asks after the broker
	out := make([]snapshot.Group, len(names))
	for i, name := range names {
		cfg := l.groups.SubscriptionGroupTable[name]
		g := snapshot.Group{Name: name, HasConfig: true, ConsumeEnable: cfg.ConsumeEnable,
			Broadcast: cfg.ConsumeBroadcastEnable, RetryMaxTimes: cfg.RetryMaxTimes}
		for _, cs := range stats[name] {
			if gt, ok := p.groupTopic(cs, l); ok {
				g.Topics = append(g.Topics, gt)
				g.ConsumeTPS += cs.ConsumeTps
			}
		}
		if !p.cfg.ExpandLMQ {
			g.Topics = foldLMQ(g.Topics)
		}
		sort.Slice(g.Topics, func(a, c int) bool { return g.Topics[a].Topic < g.Topics[c].Topic })
		out[i] = g
	}
	p.onlineStates(ctx, b, mem, out, prev)
	p.groupRates(ctx, b, mem, out, prev, now)
	if p.cfg.ClientRunningInfo {
		p.runningInfo(ctx, b, mem, out, prev)
	}
	return out
}

// groupTopic sums one ConsumeStats (one topic) of a group.
func (p *Poller) groupTopic(cs admin.ConsumeStats, l *listings) (snapshot.GroupTopic, bool) {
	if len(cs.Queues) == 0 || !p.keepTopic(cs.Queues[0].Topic, l) {
		return snapshot.GroupTopic{}, false
	}
	gt := snapshot.GroupTopic{Topic: cs.Queues[0].Topic, Get: &snapshot.Window{TPS: cs.ConsumeTps}}
	for _, q := range cs.Queues {
		gt.BrokerOffset += q.BrokerOffset
		gt.ConsumerOffset += q.ConsumerOffset
		gt.Lag += q.Lag()
		gt.LastConsume = max(gt.LastConsume, q.LastTimestamp)
		if p.cfg.QueueDetail {
			gt.Queues = append(gt.Queues, snapshot.QueueProgress{QueueID: q.QueueID, BrokerOffset: q.BrokerOffset, ConsumerOffset: q.ConsumerOffset})
		}
	}
	return gt, true
}

// foldLMQ sums a group's light message queues into one entry per parent,
// named "%LMQ%<parent>", so series stay bounded however many LMQs exist.
func foldLMQ(topics []snapshot.GroupTopic) []snapshot.GroupTopic {
	if !slices.ContainsFunc(topics, func(gt snapshot.GroupTopic) bool { return strings.HasPrefix(gt.Topic, snapshot.LMQPrefix) }) {
		return topics // most groups have no LMQ: no copy to keep
	}
	out := topics[:0:0]
	byParent := map[string]int{}
	for _, gt := range topics {
		if !strings.HasPrefix(gt.Topic, snapshot.LMQPrefix) {
			out = append(out, gt)
			continue
		}
		name := snapshot.LMQPrefix + snapshot.LMQParent(gt.Topic)
		i, ok := byParent[name]
		if !ok {
			byParent[name] = len(out)
			gt.Topic, gt.Queues, gt.HasLagSeconds, gt.LagSeconds = name, nil, false, 0
			out = append(out, gt)
			continue
		}
		agg := &out[i]
		agg.BrokerOffset += gt.BrokerOffset
		agg.ConsumerOffset += gt.ConsumerOffset
		agg.Lag += gt.Lag
		agg.LastConsume = max(agg.LastConsume, gt.LastConsume)
		if gt.Get != nil {
			w := *agg.Get
			w.TPS += gt.Get.TPS
			agg.Get = &w
		}
	}
	return out
}

// onlineStates asks for the connection list of every group that was
// online, of an offline group on its turn (every OfflineRefreshCycles
// cycles, staggered by name hash: spread.go), of a group whose last list
// was not answered, and of groups never answered, at most the first-sight
// budget per cycle: going offline shows at once, coming online within
// OfflineRefreshCycles cycles, and neither the many groups that are
// offline for good nor a start asks for all lists in one cycle. A group
// not answered keeps its last state; one never answered has none
// (OnlinePending), rather than being served as offline.
func (p *Poller) onlineStates(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, out []snapshot.Group, prev map[string]*snapshot.Group) {
	checked := make(map[string]int, len(out))
	names := make([]string, len(out))
	var todo, fresh []int
	for i := range out {
		g := &out[i]
		names[i] = g.Name
		pg := prev[g.Name]
		if pg == nil || pg.OnlinePending {
			g.OnlinePending = true
			fresh = append(fresh, i)
			continue
		}
		last, seen := mem.offlineChecked[g.Name]
		if !pg.Online && seen && !inTurn(g.Name, mem.cycles, p.cfg.OfflineRefreshCycles) {
			g.MessageModel, g.ConsumeType = pg.MessageModel, pg.ConsumeType
			checked[g.Name] = last
			continue
		}
		todo = append(todo, i)
	}
	first, waiting := firstSight(names, fresh, mem.waitGroups, mem.cycles, firstSightCap(len(out), p.cfg.OfflineRefreshCycles))
	todo = append(todo, first...)
	st := mem.tally.of(stConnections)
	ok := p.eachAnswered(ctx, len(todo), func(k int) bool { return p.connections(ctx, st, b, &out[todo[k]], prev[out[todo[k]].Name]) })
	for k, i := range todo {
		g := &out[i]
		if !ok[k] {
			pg := prev[g.Name]
			carryConnections(g, pg)
			missed(ctx, b, snapshot.CarriedGroupOnline, pg != nil && !pg.OnlinePending)
			continue
		}
		g.OnlinePending = false
		delete(waiting, g.Name)
		if !g.Online {
			checked[g.Name] = mem.cycles
		}
	}
	mem.offlineChecked, mem.waitGroups = checked, waiting
	pend(b, snapshot.CarriedGroupOnline, len(waiting))
}

// connections fills a group's online clients and reports whether the
// broker answered. CONSUMER_NOT_ONLINE is an answer (offline), unless the
// broker's proxies list consumers of the group (see proxies.go).
func (p *Poller) connections(ctx context.Context, st *stageCount, b *snapshot.Broker, g *snapshot.Group, prev *snapshot.Group) bool {
	cc, err := ask(ctx, p, st, func(c context.Context) (*admin.ConsumerConnection, error) {
		return p.adm.ConsumerConnections(c, b.Addr, g.Name)
	})
	switch {
	case remoting.ResponseCode(err) == remoting.CodeConsumerNotOnline:
		if prev != nil {
			g.MessageModel, g.ConsumeType = prev.MessageModel, prev.ConsumeType // the model outlives the clients
		}
		return p.proxyConnections(ctx, st, b, g)
	case err != nil:
		return false
	}
	g.Online = len(cc.ConnectionSet) > 0
	g.MessageModel, g.ConsumeType = cc.MessageModel, cc.ConsumeType
	for _, c := range cc.ConnectionSet {
		g.Clients = append(g.Clients, snapshot.Client{ID: c.ClientID, Addr: c.ClientAddr, Language: c.Language, Version: c.Version})
	}
	sort.Slice(g.Clients, func(i, j int) bool { return g.Clients[i].ID < g.Clients[j].ID })
	return true
}

// carryConnections gives g what the last cycle knew of its clients.
func carryConnections(g, prev *snapshot.Group) {
	if prev == nil {
		return
	}
	g.Online, g.MessageModel, g.ConsumeType = prev.Online, prev.MessageModel, prev.ConsumeType
	g.Clients = append([]snapshot.Client(nil), prev.Clients...) // runningInfo writes into these
}

// pairRef points at one group's progress on one topic.
type pairRef struct{ g, t int }

func pairKey(topic, group string) string { return topic + "@" + group }

// lastPairs indexes the last cycle's (topic, group) pairs by pairKey.
func lastPairs(prev map[string]*snapshot.Group) map[string]*snapshot.GroupTopic {
	n := 0
	for _, g := range prev {
		n += len(g.Topics)
	}
	out := make(map[string]*snapshot.GroupTopic, n)
	for _, g := range prev {
		for i := range g.Topics {
			out[pairKey(g.Topics[i].Topic, g.Name)] = &g.Topics[i]
		}
	}
	return out
}

// groupRates reads bytes, send-backs and (POP groups) acknowledgements for
// consuming pairs and the age of the oldest unconsumed message for lagging
// ones.
func (p *Poller) groupRates(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, out []snapshot.Group,
	prev map[string]*snapshot.Group, now time.Time) {
	var consuming, lagging []pairRef
	next := make(map[string]pairMemory, len(mem.pairs))
	marks := retentionMarks(b)
	for gi := range out {
		for ti := range out[gi].Topics {
			gt := &out[gi].Topics[ti]
			key := pairKey(gt.Topic, out[gi].Name)
			m := pairState(mem.pairs, key, gt, marks, now)
			next[key] = m
			if !p.cfg.ExpandLMQ && strings.HasPrefix(gt.Topic, snapshot.LMQPrefix) {
				continue // a folded LMQ family has no stat item or queue of its own to ask about
			}
			if gt.Get.TPS > 0 || (!m.changed.IsZero() && now.Sub(m.changed) < activeWindow) {
				consuming = append(consuming, pairRef{gi, ti})
			}
			if gt.Lag == 0 {
				gt.HasLagSeconds = true
			} else if p.cfg.LagSeconds {
				if m.oldestStore > 0 {
					gt.LagSeconds, gt.HasLagSeconds = lagSeconds(now, m.oldestStore), true
				} else {
					lagging = append(lagging, pairRef{gi, ti})
				}
			}
		}
	}
	last := lastPairs(prev)
	p.pairWindows(ctx, b, mem, out, consuming, last)
	p.popAcks(ctx, b, mem, out, consuming, last)
	p.lagAges(ctx, b, mem, out, lagging, last, next, marks, now)
	mem.pairs = next
}

// runningInfo asks every online client of every group for its figures; a
// client not answered keeps the figures it last reported.
func (p *Poller) runningInfo(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, out []snapshot.Group, prev map[string]*snapshot.Group) {
	var refs []pairRef // g: group, t: client
	for gi := range out {
		for ci := range out[gi].Clients {
			if out[gi].Clients[ci].Proxy == "" { // the broker cannot reach a proxy's client, nor does the proxy ask it
				refs = append(refs, pairRef{gi, ci})
			}
		}
	}
	ok := p.eachAnswered(ctx, len(refs), func(k int) bool {
		g := &out[refs[k].g]
		c := &g.Clients[refs[k].t]
		info, err := ask(ctx, p, mem.tally.of(stRunningInfo), func(cc context.Context) (*admin.ConsumerRunningInfo, error) {
			return p.adm.ConsumerRunningInfo(cc, b.Addr, g.Name, c.ID)
		})
		if err != nil {
			return false
		}
		c.Running = make(map[string]snapshot.ClientRunning, len(info.StatusTable))
		for topic, st := range info.StatusTable {
			c.Running[topic] = snapshot.ClientRunning{PullRT: st.PullRT, PullTPS: st.PullTPS, ConsumeRT: st.ConsumeRT,
				ConsumeOKTPS: st.ConsumeOKTPS, ConsumeFailedTPS: st.ConsumeFailedTPS, ConsumeFailedMsgs: st.ConsumeFailedMsgs}
		}
		return true
	})
	for k, answered := range ok {
		if answered {
			continue
		}
		g := &out[refs[k].g]
		c := &g.Clients[refs[k].t]
		c.Running = lastRunning(prev[g.Name], c.ID)
		missed(ctx, b, snapshot.CarriedClientRunningInfo, c.Running != nil)
	}
}

// lastRunning is what a client reported of itself last cycle, nil if none.
func lastRunning(g *snapshot.Group, id string) map[string]snapshot.ClientRunning {
	if g == nil {
		return nil
	}
	for i := range g.Clients {
		if g.Clients[i].ID == id {
			return g.Clients[i].Running // shared, never written: snapshots are immutable
		}
	}
	return nil
}
