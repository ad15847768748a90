package poller

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/runtimeinfo"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// activeWindow is how long after its last movement a topic or group is
// still inside the broker's one-minute stats window.
const activeWindow = 70 * time.Second

// brokerMemory is what the poller remembers of one broker between cycles.
// It is rebuilt from the live entity lists every cycle, so nothing about a
// vanished topic or group survives it.
type brokerMemory struct {
	target   int
	last     *snapshot.Broker // last cycle in which the broker was Up
	failures int              // consecutive cycles without an answer
	cycles   int
	config   map[string]string
	topics   map[string]topicMemory
	pairs    map[string]pairMemory // topic@group
	// store is the broker's commit-log end and topic-config version at the
	// last full topic refresh: while neither moves, no topic's offsets can
	// have changed and GET_TOPIC_STATS_INFO need not be asked again.
	store        storeMark
	sinceRefresh int
	// offlineChecked is the cycle in which each offline group's connection
	// list was last answered.
	offlineChecked map[string]int
	// cuts counts the cycles whose deadline stopped calls to the broker.
	cuts int64
}

type storeMark struct {
	commitLogMax float64
	topicVersion int64
	known        bool
}

// fullRefreshEvery bounds how long offsets are reused while the store
// stands still (minimum offsets move when old files are deleted).
const fullRefreshEvery = 20

type topicMemory struct {
	maxOffset int64
	changed   time.Time // last time maxOffset moved; zero when never seen moving
	seen      time.Time
}

type pairMemory struct {
	consumerOffset int64
	changed        time.Time
	// oldestStore is the store time (ms) of the oldest unconsumed message
	// at consumerOffset; it holds while consumerOffset does not move and
	// retention has not deleted that message.
	oldestStore int64
	// minOffset and earliest are the topic's min offset and the broker's
	// earliest stored message (ms) when oldestStore was read: retention
	// moves them.
	minOffset, earliest int64
	// asked is the cycle of the pair's last age look-up, 0 for never: the
	// per-broker budget goes to the pairs that waited longest.
	asked int
}

// collectBroker collects one broker. It never fails: a broker that does not
// answer yields a record with Up=false, carrying its last data while within
// the grace period.
func (p *Poller) collectBroker(ctx context.Context, inst admin.BrokerInstance, mem *brokerMemory) *snapshot.Broker {
	role := snapshot.RoleSlave
	if inst.IsMaster() {
		role = snapshot.RoleMaster
	}
	b := &snapshot.Broker{Cluster: inst.Cluster, Name: inst.BrokerName, ID: inst.BrokerID, Addr: inst.Addr, Role: role}
	start := time.Now()
	err := ctx.Err()
	if err == nil {
		err = p.collectInto(ctx, b, mem)
	}
	b.Duration = time.Since(start)
	if err != nil {
		p.log.Warn("broker collection failed", "cluster", b.Cluster, "broker", b.Name, "addr", b.Addr, "err", err)
		cut := ctx.Err() != nil // the deadline came before the listings answered
		if cut {
			mem.cuts++
		}
		if carried := p.carryOver(mem, err.Error()); carried != nil {
			carried.Duration, carried.Cut = b.Duration, cut
			return carried
		}
		b.Err, b.Cut, b.Cuts = err.Error(), cut, mem.cuts
		if mem.last != nil {
			b.LastSuccess = mem.last.LastSuccess
		}
		return b
	}
	if b.Cut {
		mem.cuts++
		p.log.Warn("the cycle's deadline stopped calls to the broker; what was not reached keeps its last values",
			"cluster", b.Cluster, "broker", b.Name, "addr", b.Addr, "carried", b.Carried)
	}
	b.Cuts = mem.cuts
	b.Up = true
	b.LastSuccess = time.Now()
	mem.last = b
	mem.failures = 0
	return b
}

// carryOver returns the broker's last good data marked stale, while within
// the grace period; nil after it.
func (p *Poller) carryOver(mem *brokerMemory, reason string) *snapshot.Broker {
	mem.failures++
	if mem.last == nil || mem.failures > p.cfg.GraceCycles {
		return nil
	}
	c := *mem.last
	c.Up, c.Stale, c.Err, c.RPCs = false, true, reason, nil
	c.Cut, c.Cuts, c.Carried = false, mem.cuts, nil // everything is carried: Stale says so
	return &c
}

// call runs fn with the per-call timeout.
func (p *Poller) call(ctx context.Context, fn func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
	defer cancel()
	return fn(cctx)
}

// each runs fn(i) for i in [0,n) with at most CallConcurrency at once, in
// order, and returns how many it started: once ctx ends it starts no more,
// so fn ran for exactly the i below the count. The caller decides what an
// item not started keeps (its last values); nothing may treat it as an
// answer.
func (p *Poller) each(ctx context.Context, n int, fn func(i int)) int {
	sem := make(chan struct{}, p.cfg.CallConcurrency)
	var wg sync.WaitGroup
	started := 0
	for ; started < n; started++ {
		if ctx.Err() != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break // no slot before the deadline: the call would fail unsent
		}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}(started)
	}
	wg.Wait()
	return started
}

// eachAnswered runs fn through each and reports, per index, whether its
// call was made and answered (fn's result); one the deadline left unmade
// was not.
func (p *Poller) eachAnswered(ctx context.Context, n int, fn func(i int) bool) []bool {
	ok := make([]bool, n)
	p.each(ctx, n, func(i int) { ok[i] = fn(i) })
	return ok
}

// missed records an entity whose call this cycle was not answered: had
// says whether it keeps values carried from an earlier cycle. Past the
// cycle's deadline the broker's collection is cut.
func missed(ctx context.Context, b *snapshot.Broker, kind string, had bool) {
	if ctx.Err() != nil {
		b.Cut = true
	}
	if had {
		carried(b, kind)
	}
}

// carried counts an entity of kind whose values come from an earlier cycle.
func carried(b *snapshot.Broker, kind string) {
	if b.Carried == nil {
		b.Carried = map[string]int{}
	}
	b.Carried[kind]++
}

// listings are the calls whose failure makes the broker's data unknown.
type listings struct {
	topics   *admin.TopicConfigTable
	groups   *admin.SubscriptionGroupTable
	consume  *admin.BrokerConsumeStats
	producer *admin.ProducerTable
}

func (p *Poller) collectInto(ctx context.Context, b *snapshot.Broker, mem *brokerMemory) error {
	var l listings
	var ri *admin.RuntimeInfo
	if err := p.call(ctx, func(c context.Context) (err error) { ri, err = p.adm.BrokerRuntime(c, b.Addr); return }); err != nil {
		return fmt.Errorf("runtime info: %w", err)
	}
	b.Runtime = runtimeinfo.Parse(ri.Table)
	b.Version = b.Runtime.Strings["brokerVersionDesc"]
	// 5.4.0 dropped the brokerVersion key; every answer's header still
	// carries the same ordinal.
	b.VersionCode = ri.VersionCode
	if v, ok := b.Runtime.Value("brokerVersion"); ok {
		b.VersionCode = int(v)
	}
	if ms, ok := b.Runtime.Value("bootTimestamp"); ok && ms > 0 {
		b.BootTime = time.UnixMilli(int64(ms))
	}
	p.refreshConfig(ctx, b, mem)
	if !b.IsMaster() {
		return nil // slaves mirror their master's topics and groups
	}

	var errs [4]error
	var wg sync.WaitGroup
	run := func(i int, fn func(context.Context) error) {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = p.call(ctx, fn) }()
	}
	run(0, func(c context.Context) (err error) { l.topics, err = p.adm.AllTopicConfig(c, b.Addr); return })
	run(1, func(c context.Context) (err error) { l.groups, err = p.adm.AllSubscriptionGroups(c, b.Addr); return })
	run(2, func(c context.Context) (err error) {
		l.consume, err = p.adm.BrokerConsumeStats(c, b.Addr, false)
		return
	})
	run(3, func(c context.Context) (err error) { l.producer, err = p.adm.AllProducerInfo(c, b.Addr); return })
	wg.Wait()
	for i, what := range []string{"topic config", "subscription groups", "broker consume stats"} {
		if errs[i] != nil {
			return fmt.Errorf("%s: %w", what, errs[i])
		}
	}
	if errs[3] != nil {
		p.log.Debug("producer info unavailable", "addr", b.Addr, "err", errs[3])
		if mem.last != nil {
			b.Producers = mem.last.Producers
		}
	} else {
		b.Producers = p.producers(l.producer)
	}

	now := time.Now()
	b.Topics = p.topics(ctx, b, mem, &l, now)
	b.Groups = p.groups(ctx, b, mem, &l, now)
	if p.cfg.Leaks != nil {
		p.probeLeaks(ctx, b, &l)
	}
	return nil
}

// refreshConfig reads the broker's config every BrokerConfigEvery cycles;
// a failure keeps the last one.
func (p *Poller) refreshConfig(ctx context.Context, b *snapshot.Broker, mem *brokerMemory) {
	if mem.config == nil || mem.cycles%p.cfg.BrokerConfigEvery == 0 {
		var cfg map[string]string
		err := p.call(ctx, func(c context.Context) (err error) { cfg, err = p.adm.BrokerConfig(c, b.Addr); return })
		if err == nil {
			mem.config = keepCleanupConfig(cfg)
		} else {
			p.log.Debug("broker config unavailable", "addr", b.Addr, "err", err)
		}
	}
	mem.cycles++
	b.Config = mem.config
}

// CleanupKeys are the broker settings that decide whether it leaks stats.
var CleanupKeys = []string{"autoDeleteUnusedStats", "enableDetailStat", "enableLmq", "enableLmqStats", "enableMultiDispatch", "brokerClusterName"}

func keepCleanupConfig(all map[string]string) map[string]string {
	out := make(map[string]string, len(CleanupKeys))
	for _, k := range CleanupKeys {
		if v, ok := all[k]; ok {
			out[k] = v
		}
	}
	return out
}

func (p *Poller) producers(pt *admin.ProducerTable) []snapshot.ProducerGroup {
	out := make([]snapshot.ProducerGroup, 0, len(pt.Data))
	for name, list := range pt.Data {
		if !p.cfg.Groups.Keep(name) {
			continue
		}
		g := snapshot.ProducerGroup{Name: name}
		for _, c := range list {
			g.Clients = append(g.Clients, snapshot.ProducerClient{ID: c.ClientID, Addr: strings.TrimPrefix(c.RemoteIP, "/"),
				Language: c.Language, Version: c.Version})
		}
		sort.Slice(g.Clients, func(i, j int) bool { return g.Clients[i].ID < g.Clients[j].ID })
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// keepTopic applies the filters: a group's retry and DLQ topics follow the
// group filter, every other topic the topic filter.
func (p *Poller) keepTopic(name string) bool {
	if g, ok := snapshot.GroupOfTopic(name); ok {
		return p.cfg.Groups.Keep(g)
	}
	return p.cfg.Topics.Keep(name)
}

// queueMax collects the broker offsets broker-wide consume stats already
// carry, so those topics need no GET_TOPIC_STATS_INFO of their own.
func queueMax(cs *admin.BrokerConsumeStats) map[string]map[int]int64 {
	out := map[string]map[int]int64{}
	for _, g := range cs.Groups {
		for _, st := range g.Stats {
			for _, q := range st.Queues {
				m := out[q.Topic]
				if m == nil {
					m = map[int]int64{}
					out[q.Topic] = m
				}
				m[q.QueueID] = max(m[q.QueueID], q.BrokerOffset)
			}
		}
	}
	return out
}

func (p *Poller) topics(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, l *listings, now time.Time) []snapshot.Topic {
	covered := queueMax(l.consume)
	still := p.storeStill(b, mem, l)
	prev := map[string]*snapshot.Topic{}
	if mem.last != nil {
		for i := range mem.last.Topics {
			prev[mem.last.Topics[i].Name] = &mem.last.Topics[i]
		}
	}
	names := make([]string, 0, len(l.topics.TopicConfigTable))
	for name := range l.topics.TopicConfigTable {
		if p.keepTopic(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := make([]snapshot.Topic, len(names))
	var fetch []int // topics whose offsets only GET_TOPIC_STATS_INFO can give
	for i, name := range names {
		tc := l.topics.TopicConfigTable[name]
		t := snapshot.Topic{Name: name, Kind: snapshot.ClassifyTopic(name), ReadQueues: tc.ReadQueueNums,
			WriteQueues: tc.WriteQueueNums, Perm: tc.Perm, Order: tc.Order}
		if name == b.Name || name == b.Cluster {
			t.Kind = snapshot.KindSystem // every broker keeps topics named after itself and its cluster
		}
		if qs, ok := covered[name]; ok && !p.cfg.QueueDetail {
			t.HasOffsets = true
			for _, off := range qs {
				t.MaxOffset += off
			}
			if pt := prev[name]; pt != nil {
				t.MinOffset, t.LastPut = pt.MinOffset, pt.LastPut
			}
		} else if pt := prev[name]; pt != nil && pt.HasOffsets && (still || p.idleTopic(mem, name, now)) {
			// Nothing was written since the last refresh, or the topic has
			// been still for a while and this is not its refresh cycle.
			t.HasOffsets, t.MaxOffset, t.MinOffset, t.LastPut, t.Queues = true, pt.MaxOffset, pt.MinOffset, pt.LastPut, pt.Queues
		} else {
			fetch = append(fetch, i)
		}
		out[i] = t
	}
	putTPS := make([]float64, len(out))
	ok := p.eachAnswered(ctx, len(fetch), func(k int) bool {
		t := &out[fetch[k]]
		var ts *admin.TopicStats
		err := p.call(ctx, func(c context.Context) (err error) { ts, err = p.adm.TopicStats(c, b.Addr, t.Name); return })
		if err != nil {
			return false
		}
		t.HasOffsets = true
		putTPS[fetch[k]] = ts.TopicPutTps
		for _, q := range ts.Queues {
			t.MaxOffset += q.MaxOffset
			t.MinOffset += q.MinOffset
			t.LastPut = max(t.LastPut, q.LastUpdateTimestamp)
			if p.cfg.QueueDetail {
				t.Queues = append(t.Queues, snapshot.QueueOffsets{QueueID: q.QueueID, MinOffset: q.MinOffset, MaxOffset: q.MaxOffset})
			}
		}
		return true
	})
	for k, answered := range ok {
		if answered {
			continue
		}
		// Not asked before the deadline, or no answer: the last offsets
		// stand; a failed call never removes a topic's series.
		t := &out[fetch[k]]
		pt := prev[t.Name]
		had := pt != nil && pt.HasOffsets
		if had {
			t.HasOffsets, t.MaxOffset, t.MinOffset, t.LastPut, t.Queues = true, pt.MaxOffset, pt.MinOffset, pt.LastPut, pt.Queues
		}
		missed(ctx, b, snapshot.CarriedTopicOffsets, had)
	}
	p.topicRates(ctx, b, mem, out, putTPS, prev, now)
	return out
}

// idleTopic reports whether a topic's offsets may be reused this cycle:
// they have not moved for longer than the stats window and this is not one
// of its refresh cycles (every IdleTopicRefreshCycles). A topic that starts
// receiving again is seen within that many cycles.
func (p *Poller) idleTopic(mem *brokerMemory, name string, now time.Time) bool {
	if p.cfg.IdleTopicRefreshCycles <= 1 || mem.cycles%p.cfg.IdleTopicRefreshCycles == 0 {
		return false
	}
	m, ok := mem.topics[name]
	if !ok || now.Sub(m.seen) < activeWindow {
		return false
	}
	return m.changed.IsZero() || now.Sub(m.changed) >= activeWindow
}

// storeStill reports whether the broker has written nothing and changed no
// topic since the last full refresh, and records this cycle's mark.
func (p *Poller) storeStill(b *snapshot.Broker, mem *brokerMemory, l *listings) bool {
	end, ok := b.Runtime.Value("commitLogMaxOffset")
	mark := storeMark{commitLogMax: end, topicVersion: l.topics.DataVersion.Counter, known: ok}
	still := ok && mem.store == mark && mem.sinceRefresh < fullRefreshEvery && mem.last != nil
	if still {
		mem.sinceRefresh++
	} else {
		mem.store, mem.sinceRefresh = mark, 0
	}
	return still
}

// topicRates reads the broker's minute window for topics that moved within
// it, and records zero for topics known to have been still all along.
func (p *Poller) topicRates(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, out []snapshot.Topic, putTPS []float64,
	prev map[string]*snapshot.Topic, now time.Time) {
	next := make(map[string]topicMemory, len(out))
	var active []int
	for i := range out {
		t := &out[i]
		if !t.HasOffsets {
			continue
		}
		m, known := mem.topics[t.Name]
		if !known {
			m = topicMemory{maxOffset: t.MaxOffset, seen: now}
		} else if t.MaxOffset != m.maxOffset {
			m.maxOffset, m.changed = t.MaxOffset, now
		}
		next[t.Name] = m
		switch {
		case (!m.changed.IsZero() && now.Sub(m.changed) < activeWindow) || putTPS[i] > 0:
			active = append(active, i)
		case known && now.Sub(m.seen) >= activeWindow:
			t.Put = &snapshot.Window{} // unchanged for longer than the window: truly idle
		}
	}
	mem.topics = next
	ok := p.eachAnswered(ctx, len(active), func(k int) bool {
		t := &out[active[k]]
		w := &snapshot.Window{}
		nums, err1 := p.stat(ctx, b.Addr, "TOPIC_PUT_NUMS", t.Name)
		size, err2 := p.stat(ctx, b.Addr, "TOPIC_PUT_SIZE", t.Name)
		if err1 != nil || err2 != nil {
			return false // half a window is no window: the last whole one stands
		}
		if nums != nil {
			w.TPS, w.Sum = nums.StatsMinute.Tps, nums.StatsMinute.Sum
		}
		if size != nil {
			w.BytesPerSec = size.StatsMinute.Tps
		}
		t.Put = w
		return true
	})
	for k, answered := range ok {
		if !answered {
			t := &out[active[k]]
			pt := prev[t.Name]
			if pt != nil {
				t.Put = pt.Put // shared, never written: snapshots are immutable
			}
			missed(ctx, b, snapshot.CarriedTopicRates, t.Put != nil)
		}
	}
}

// stat reads one stat item; "not exist" is an answer (nothing in the
// window), returned as nil without error.
func (p *Poller) stat(ctx context.Context, addr, name, key string) (*admin.BrokerStatsData, error) {
	var d *admin.BrokerStatsData
	err := p.call(ctx, func(c context.Context) (err error) { d, err = p.adm.ViewBrokerStatsData(c, addr, name, key); return })
	if admin.IsStatsNotExist(err) {
		return nil, nil
	}
	return d, err
}

func (p *Poller) groups(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, l *listings, now time.Time) []snapshot.Group {
	stats := map[string][]admin.ConsumeStats{}
	for _, g := range l.consume.Groups {
		stats[g.Group] = g.Stats
	}
	prev := map[string]*snapshot.Group{}
	if mem.last != nil {
		for i := range mem.last.Groups {
			prev[mem.last.Groups[i].Name] = &mem.last.Groups[i]
		}
	}
	names := make([]string, 0, len(l.groups.SubscriptionGroupTable))
	for name := range l.groups.SubscriptionGroupTable {
		if p.cfg.Groups.Keep(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := make([]snapshot.Group, len(names))
	for i, name := range names {
		cfg := l.groups.SubscriptionGroupTable[name]
		g := snapshot.Group{Name: name, HasConfig: true, ConsumeEnable: cfg.ConsumeEnable,
			Broadcast: cfg.ConsumeBroadcastEnable, RetryMaxTimes: cfg.RetryMaxTimes}
		for _, cs := range stats[name] {
			if gt, ok := p.groupTopic(cs); ok {
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
		p.runningInfo(ctx, b, out, prev)
	}
	return out
}

// groupTopic sums one ConsumeStats (one topic) of a group.
func (p *Poller) groupTopic(cs admin.ConsumeStats) (snapshot.GroupTopic, bool) {
	if len(cs.Queues) == 0 || !p.keepTopic(cs.Queues[0].Topic) {
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

// onlineStates asks for the connection list of every group that was online
// or is new, and of offline groups only every OfflineRefreshCycles cycles:
// going offline shows at once, coming online within that many cycles, and
// the calls do not grow with the many groups that are offline for good. A
// group whose list was not answered (deadline, failure) keeps its last
// state and is asked again next cycle.
func (p *Poller) onlineStates(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, out []snapshot.Group, prev map[string]*snapshot.Group) {
	checked := make(map[string]int, len(out))
	var ask []int
	for i := range out {
		g := &out[i]
		pg := prev[g.Name]
		last, seen := mem.offlineChecked[g.Name]
		if pg != nil && !pg.Online && seen && mem.cycles-last < p.cfg.OfflineRefreshCycles {
			g.MessageModel, g.ConsumeType = pg.MessageModel, pg.ConsumeType
			checked[g.Name] = last
			continue
		}
		ask = append(ask, i)
	}
	ok := p.eachAnswered(ctx, len(ask), func(k int) bool { return p.connections(ctx, b, &out[ask[k]], prev[out[ask[k]].Name]) })
	for k, i := range ask {
		g := &out[i]
		if !ok[k] {
			pg := prev[g.Name]
			carryConnections(g, pg)
			missed(ctx, b, snapshot.CarriedGroupOnline, pg != nil)
			continue
		}
		if !g.Online {
			checked[g.Name] = mem.cycles
		}
	}
	mem.offlineChecked = checked
}

// connections fills a group's online clients and reports whether the
// broker answered. CONSUMER_NOT_ONLINE is an answer (offline).
func (p *Poller) connections(ctx context.Context, b *snapshot.Broker, g *snapshot.Group, prev *snapshot.Group) bool {
	var cc *admin.ConsumerConnection
	err := p.call(ctx, func(c context.Context) (err error) { cc, err = p.adm.ConsumerConnections(c, b.Addr, g.Name); return })
	switch {
	case remoting.ResponseCode(err) == remoting.CodeConsumerNotOnline:
		if prev != nil {
			g.MessageModel, g.ConsumeType = prev.MessageModel, prev.ConsumeType // the model outlives the clients
		}
		return true
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
	out := map[string]*snapshot.GroupTopic{}
	for _, g := range prev {
		for i := range g.Topics {
			out[pairKey(g.Topics[i].Topic, g.Name)] = &g.Topics[i]
		}
	}
	return out
}

// groupRates reads bytes and send-backs for consuming pairs and the age of
// the oldest unconsumed message for lagging ones.
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
	p.pairWindows(ctx, b, out, consuming, last)
	p.lagAges(ctx, b, mem, out, lagging, last, next, marks, now)
	mem.pairs = next
}

// pairState is a pair's memory for this cycle: its cached age is dropped
// when the group moved, or when retention may have deleted the message the
// age was read from.
func pairState(pairs map[string]pairMemory, key string, gt *snapshot.GroupTopic, marks retention, now time.Time) pairMemory {
	m, known := pairs[key]
	switch {
	case !known:
		// First sight says nothing about movement: the broker's own
		// consume TPS tells whether the pair consumes right now.
		return pairMemory{consumerOffset: gt.ConsumerOffset}
	case m.consumerOffset != gt.ConsumerOffset:
		return pairMemory{consumerOffset: gt.ConsumerOffset, changed: now, asked: m.asked}
	case m.oldestStore > 0 && marks.expired(m, gt.Topic):
		m.oldestStore = 0
	}
	return m
}

// retention is what shows that retention deleted messages: each topic's
// min offset and the broker's earliest stored message (ms, 0 unknown).
type retention struct {
	minOffset map[string]int64
	earliest  int64
}

func retentionMarks(b *snapshot.Broker) retention {
	r := retention{minOffset: make(map[string]int64, len(b.Topics))}
	for i := range b.Topics {
		r.minOffset[b.Topics[i].Name] = b.Topics[i].MinOffset
	}
	if v, ok := b.Runtime.Value("earliestMessageTimeStamp"); ok && v > 0 {
		r.earliest = int64(v)
	}
	return r
}

// expired tells whether the message a cached age was read from may be
// gone: the topic's min offset moved since, or the broker's oldest stored
// message moved and is now younger than it.
func (r retention) expired(m pairMemory, topic string) bool {
	if r.minOffset[topic] != m.minOffset {
		return true
	}
	return r.earliest > 0 && r.earliest != m.earliest && m.oldestStore < r.earliest
}

// pairWindows reads the minute windows of consuming pairs; a pair not
// answered keeps its last ones.
func (p *Poller) pairWindows(ctx context.Context, b *snapshot.Broker, out []snapshot.Group, consuming []pairRef, last map[string]*snapshot.GroupTopic) {
	ok := p.eachAnswered(ctx, len(consuming), func(k int) bool {
		g := &out[consuming[k].g]
		gt := &g.Topics[consuming[k].t]
		key := pairKey(gt.Topic, g.Name)
		size, err1 := p.stat(ctx, b.Addr, "GROUP_GET_SIZE", key)
		sb, err2 := p.stat(ctx, b.Addr, "SNDBCK_PUT_NUMS", key)
		if err1 != nil || err2 != nil {
			return false
		}
		if size != nil {
			gt.Get.BytesPerSec = size.StatsMinute.Tps
		}
		if sb != nil {
			gt.SendBack = &snapshot.Window{TPS: sb.StatsMinute.Tps, Sum: sb.StatsMinute.Sum}
		}
		return true
	})
	for k, answered := range ok {
		if answered {
			continue
		}
		g := &out[consuming[k].g]
		gt := &g.Topics[consuming[k].t]
		lt := last[pairKey(gt.Topic, g.Name)]
		if lt != nil {
			if lt.Get != nil {
				gt.Get.BytesPerSec = lt.Get.BytesPerSec
			}
			gt.SendBack = lt.SendBack
		}
		missed(ctx, b, snapshot.CarriedGroupTopicRates, lt != nil)
	}
}

// lagAges looks up the age of the oldest unconsumed message of lagging
// pairs whose age is not cached, at most LagSecondsBudget per broker per
// cycle: the pairs asked longest ago (or never) first, so every pair gets
// its turn within len(lagging)/budget cycles even when its group moves
// every cycle. A pair not answered this cycle keeps its last age and is
// counted pending.
func (p *Poller) lagAges(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, out []snapshot.Group, lagging []pairRef,
	last map[string]*snapshot.GroupTopic, next map[string]pairMemory, marks retention, now time.Time) {
	key := func(r pairRef) string { return pairKey(out[r.g].Topics[r.t].Topic, out[r.g].Name) }
	sort.SliceStable(lagging, func(i, j int) bool { return next[key(lagging[i])].asked < next[key(lagging[j])].asked })
	ask := lagging
	if budget := p.cfg.LagSecondsBudget; budget > 0 && len(ask) > budget {
		ask = ask[:budget]
	}
	oldest := make([]int64, len(ask))
	tried := make([]bool, len(ask))
	ok := p.eachAnswered(ctx, len(ask), func(k int) bool {
		tried[k] = true
		g := &out[ask[k].g]
		gt := &g.Topics[ask[k].t]
		var spans []admin.QueueTimeSpan
		err := p.call(ctx, func(c context.Context) (err error) {
			spans, err = p.adm.QueryConsumeTimeSpan(c, b.Addr, gt.Topic, g.Name)
			return
		})
		if err != nil {
			return false
		}
		if oldest[k] = oldestUnconsumed(spans, time.Now().UnixMilli()); oldest[k] > 0 {
			gt.LagSeconds, gt.HasLagSeconds = lagSeconds(now, oldest[k]), true
		}
		return true
	})
	for k, r := range ask {
		m := next[key(r)]
		if tried[k] {
			m.asked = mem.cycles
		}
		if ok[k] && oldest[k] > 0 {
			m.oldestStore, m.minOffset, m.earliest = oldest[k], marks.minOffset[out[r.g].Topics[r.t].Topic], marks.earliest
		}
		next[key(r)] = m
	}
	b.LagPending = 0
	for k, r := range lagging {
		if k < len(ask) && ok[k] {
			continue
		}
		b.LagPending++
		gt := &out[r.g].Topics[r.t]
		lt := last[key(r)]
		had := lt != nil && lt.HasLagSeconds
		if had {
			gt.LagSeconds, gt.HasLagSeconds = lt.LagSeconds, true
		}
		if k < len(ask) {
			missed(ctx, b, snapshot.CarriedLagSeconds, had)
		} else if had {
			carried(b, snapshot.CarriedLagSeconds) // over the budget: its turn comes, not a cut
		}
	}
}

// oldestUnconsumed reads the store time (ms) of the oldest unconsumed
// message from a QUERY_CONSUME_TIME_SPAN answer asked at asked (ms); 0
// when no queue gives one.
func oldestUnconsumed(spans []admin.QueueTimeSpan, asked int64) int64 {
	var oldest int64
	for _, s := range spans {
		if s.DelayTime <= 0 {
			continue // caught up on this queue
		}
		store := asked - s.DelayTime
		if store < minPlausibleMillis {
			// The message at the consumer offset has no store time. When
			// the one before it has none either, retention deleted both and
			// the oldest unconsumed message still stored is the queue's
			// first; when the group never committed here (the broker then
			// gives the queue's first as its consume time), it is no age.
			if s.ConsumeTimeStamp > 0 || s.MinTimeStamp < minPlausibleMillis {
				continue
			}
			store = s.MinTimeStamp
		}
		if oldest == 0 || store < oldest {
			oldest = store
		}
	}
	return oldest
}

// minPlausibleMillis is 2001-09-09: store times before it are not times.
const minPlausibleMillis = 1_000_000_000_000

func lagSeconds(now time.Time, storeMillis int64) float64 {
	return max(0, float64(now.UnixMilli()-storeMillis)/1000)
}

// runningInfo asks every online client of every group for its figures; a
// client not answered keeps the figures it last reported.
func (p *Poller) runningInfo(ctx context.Context, b *snapshot.Broker, out []snapshot.Group, prev map[string]*snapshot.Group) {
	var refs []pairRef // g: group, t: client
	for gi := range out {
		for ci := range out[gi].Clients {
			refs = append(refs, pairRef{gi, ci})
		}
	}
	ok := p.eachAnswered(ctx, len(refs), func(k int) bool {
		g := &out[refs[k].g]
		c := &g.Clients[refs[k].t]
		var info *admin.ConsumerRunningInfo
		err := p.call(ctx, func(cc context.Context) (err error) {
			info, err = p.adm.ConsumerRunningInfo(cc, b.Addr, g.Name, c.ID)
			return
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
