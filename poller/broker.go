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
	// list was last asked for.
	offlineChecked map[string]int
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
	// at consumerOffset; it holds while consumerOffset does not move.
	oldestStore int64
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
		if carried := p.carryOver(mem, err.Error()); carried != nil {
			carried.Duration = b.Duration
			return carried
		}
		b.Err = err.Error()
		if mem.last != nil {
			b.LastSuccess = mem.last.LastSuccess
		}
		return b
	}
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
	return &c
}

// call runs fn with the per-call timeout.
func (p *Poller) call(ctx context.Context, fn func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
	defer cancel()
	return fn(cctx)
}

// each runs fn(i) for i in [0,n) with at most CallConcurrency at once.
func (p *Poller) each(ctx context.Context, n int, fn func(i int)) {
	if n == 0 {
		return
	}
	sem := make(chan struct{}, p.cfg.CallConcurrency)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}()
	}
	wg.Wait()
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
	p.each(ctx, len(fetch), func(k int) {
		t := &out[fetch[k]]
		var ts *admin.TopicStats
		err := p.call(ctx, func(c context.Context) (err error) { ts, err = p.adm.TopicStats(c, b.Addr, t.Name); return })
		if err != nil {
			if pt := prev[t.Name]; pt != nil && pt.HasOffsets {
				t.HasOffsets, t.MaxOffset, t.MinOffset, t.LastPut, t.Queues = true, pt.MaxOffset, pt.MinOffset, pt.LastPut, pt.Queues
			}
			return
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
	})
	p.topicRates(ctx, b, mem, out, putTPS, now)
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
func (p *Poller) topicRates(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, out []snapshot.Topic, putTPS []float64, now time.Time) {
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
	p.each(ctx, len(active), func(k int) {
		t := &out[active[k]]
		w := &snapshot.Window{}
		nums, err1 := p.stat(ctx, b.Addr, "TOPIC_PUT_NUMS", t.Name)
		size, err2 := p.stat(ctx, b.Addr, "TOPIC_PUT_SIZE", t.Name)
		if err1 != nil && err2 != nil {
			return
		}
		if nums != nil {
			w.TPS, w.Sum = nums.StatsMinute.Tps, nums.StatsMinute.Sum
		}
		if size != nil {
			w.BytesPerSec = size.StatsMinute.Tps
		}
		t.Put = w
	})
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
	p.groupRates(ctx, b, mem, out, now)
	if p.cfg.ClientRunningInfo {
		p.runningInfo(ctx, b, out)
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
// the calls do not grow with the many groups that are offline for good.
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
	p.each(ctx, len(ask), func(k int) { p.connections(ctx, b, &out[ask[k]], prev[out[ask[k]].Name]) })
	for _, i := range ask {
		if !out[i].Online {
			checked[out[i].Name] = mem.cycles
		}
	}
	mem.offlineChecked = checked
}

// connections fills a group's online clients. CONSUMER_NOT_ONLINE is an
// answer (offline); any other failure keeps what the last cycle knew.
func (p *Poller) connections(ctx context.Context, b *snapshot.Broker, g *snapshot.Group, prev *snapshot.Group) {
	var cc *admin.ConsumerConnection
	err := p.call(ctx, func(c context.Context) (err error) { cc, err = p.adm.ConsumerConnections(c, b.Addr, g.Name); return })
	switch {
	case remoting.ResponseCode(err) == remoting.CodeConsumerNotOnline:
		if prev != nil {
			g.MessageModel, g.ConsumeType = prev.MessageModel, prev.ConsumeType // the model outlives the clients
		}
		return
	case err != nil:
		if prev != nil {
			g.Online, g.MessageModel, g.ConsumeType = prev.Online, prev.MessageModel, prev.ConsumeType
			g.Clients = append([]snapshot.Client(nil), prev.Clients...) // runningInfo writes into these
		}
		return
	}
	g.Online = len(cc.ConnectionSet) > 0
	g.MessageModel, g.ConsumeType = cc.MessageModel, cc.ConsumeType
	for _, c := range cc.ConnectionSet {
		g.Clients = append(g.Clients, snapshot.Client{ID: c.ClientID, Addr: c.ClientAddr, Language: c.Language, Version: c.Version})
	}
	sort.Slice(g.Clients, func(i, j int) bool { return g.Clients[i].ID < g.Clients[j].ID })
}

// groupRates reads bytes and send-backs for consuming pairs and the age of
// the oldest unconsumed message for lagging ones.
func (p *Poller) groupRates(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, out []snapshot.Group, now time.Time) {
	type ref struct{ g, t int }
	var consuming, lagging []ref
	next := map[string]pairMemory{}
	for gi := range out {
		for ti := range out[gi].Topics {
			gt := &out[gi].Topics[ti]
			key := gt.Topic + "@" + out[gi].Name
			m, known := mem.pairs[key]
			switch {
			case !known:
				// First sight says nothing about movement: the broker's own
				// consume TPS tells whether the pair consumes right now.
				m = pairMemory{consumerOffset: gt.ConsumerOffset}
			case m.consumerOffset != gt.ConsumerOffset:
				m = pairMemory{consumerOffset: gt.ConsumerOffset, changed: now}
			}
			next[key] = m
			if !p.cfg.ExpandLMQ && strings.HasPrefix(gt.Topic, snapshot.LMQPrefix) {
				continue // a folded LMQ family has no stat item or queue of its own to ask about
			}
			if gt.Get.TPS > 0 || (!m.changed.IsZero() && now.Sub(m.changed) < activeWindow) {
				consuming = append(consuming, ref{gi, ti})
			}
			if gt.Lag == 0 {
				gt.HasLagSeconds = true
			} else if p.cfg.LagSeconds {
				if m.oldestStore > 0 {
					gt.LagSeconds, gt.HasLagSeconds = lagSeconds(now, m.oldestStore), true
				} else {
					lagging = append(lagging, ref{gi, ti})
				}
			}
		}
	}
	p.each(ctx, len(consuming), func(k int) {
		g := &out[consuming[k].g]
		gt := &g.Topics[consuming[k].t]
		key := gt.Topic + "@" + g.Name
		if size, err := p.stat(ctx, b.Addr, "GROUP_GET_SIZE", key); err == nil && size != nil {
			gt.Get.BytesPerSec = size.StatsMinute.Tps
		}
		if sb, err := p.stat(ctx, b.Addr, "SNDBCK_PUT_NUMS", key); err == nil && sb != nil {
			gt.SendBack = &snapshot.Window{TPS: sb.StatsMinute.Tps, Sum: sb.StatsMinute.Sum}
		}
	})
	if budget := p.cfg.LagSecondsBudget; budget > 0 && len(lagging) > budget {
		// The first cycle over a large broker finds every lagging pair new;
		// spread the look-ups over cycles (answers are cached while a
		// group stands still, so the backlog drains).
		lagging = lagging[:budget]
	}
	oldest := make([]int64, len(lagging))
	p.each(ctx, len(lagging), func(k int) {
		g := &out[lagging[k].g]
		gt := &g.Topics[lagging[k].t]
		var spans []admin.QueueTimeSpan
		err := p.call(ctx, func(c context.Context) (err error) {
			spans, err = p.adm.QueryConsumeTimeSpan(c, b.Addr, gt.Topic, g.Name)
			return
		})
		if err != nil {
			return
		}
		asked := time.Now().UnixMilli()
		for _, s := range spans {
			if s.DelayTime <= 0 {
				continue
			}
			store := asked - s.DelayTime
			if store < minPlausibleMillis {
				continue // no store time for that offset (e.g. never committed): not an age
			}
			if oldest[k] == 0 || store < oldest[k] {
				oldest[k] = store
			}
		}
		if oldest[k] > 0 {
			gt.LagSeconds, gt.HasLagSeconds = lagSeconds(now, oldest[k]), true
		}
	})
	for k, r := range lagging {
		if oldest[k] > 0 {
			key := out[r.g].Topics[r.t].Topic + "@" + out[r.g].Name
			m := next[key]
			m.oldestStore = oldest[k]
			next[key] = m
		}
	}
	mem.pairs = next
}

// minPlausibleMillis is 2001-09-09: store times before it are not times.
const minPlausibleMillis = 1_000_000_000_000

func lagSeconds(now time.Time, storeMillis int64) float64 {
	return max(0, float64(now.UnixMilli()-storeMillis)/1000)
}

// runningInfo asks every online client of every group for its figures.
func (p *Poller) runningInfo(ctx context.Context, b *snapshot.Broker, out []snapshot.Group) {
	type ref struct{ g, c int }
	var refs []ref
	for gi := range out {
		for ci := range out[gi].Clients {
			refs = append(refs, ref{gi, ci})
		}
	}
	p.each(ctx, len(refs), func(k int) {
		g := &out[refs[k].g]
		c := &g.Clients[refs[k].c]
		var info *admin.ConsumerRunningInfo
		err := p.call(ctx, func(cc context.Context) (err error) {
			info, err = p.adm.ConsumerRunningInfo(cc, b.Addr, g.Name, c.ID)
			return
		})
		if err != nil {
			return
		}
		c.Running = make(map[string]snapshot.ClientRunning, len(info.StatusTable))
		for topic, st := range info.StatusTable {
			c.Running[topic] = snapshot.ClientRunning{PullRT: st.PullRT, PullTPS: st.PullTPS, ConsumeRT: st.ConsumeRT,
				ConsumeOKTPS: st.ConsumeOKTPS, ConsumeFailedTPS: st.ConsumeFailedTPS, ConsumeFailedMsgs: st.ConsumeFailedMsgs}
		}
	})
}
