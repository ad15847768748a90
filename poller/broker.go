package poller

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/runtimeinfo"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

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
