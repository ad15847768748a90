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
	mem.tally = &cycleTally{}
	err := ctx.Err()
	if err == nil {
		err = p.collectInto(ctx, b, mem)
	}
	b.Duration = time.Since(start)
	b.Stages = p.settleStages(b, mem)
	if err != nil {
		p.logBrokerFailed(b, mem, err)
		cut := ctx.Err() != nil // the deadline came before the listings answered
		if cut {
			mem.cuts++
		}
		if carried := p.carryOver(mem, err.Error()); carried != nil {
			carried.Duration, carried.Cut, carried.Stages = b.Duration, cut, b.Stages // this cycle's calls, not the copy's
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
	if mem.failures > 0 {
		p.log.Info("broker collection answers again", "cluster", b.Cluster, "broker", b.Name, "addr", b.Addr, "failed_cycles", mem.failures)
	}
	mem.failures = 0
	return b
}

// logBrokerFailed logs the first failed cycle of a run at Warn and the
// repeats at Debug: a broker refused for hours (an ACL without a needed
// permission, a broker gone for good) must not write a line every cycle.
// Its rocketmq_up and stage series say it meanwhile. Call it before
// carryOver counts the failure.
func (p *Poller) logBrokerFailed(b *snapshot.Broker, mem *brokerMemory, err error) {
	attrs := []any{"cluster", b.Cluster, "broker", b.Name, "addr", b.Addr, "err", err}
	if mem.failures == 0 {
		p.log.Warn("broker collection failed", attrs...)
		return
	}
	p.log.Debug("broker collection still failing", append(attrs, "failed_cycles", mem.failures+1)...)
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
	mem.tally = nil                                 // none was asked this cycle: no calls, the last outcomes
	c.Stages = p.stages(mem)
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
	ri, err := ask(ctx, p, mem.tally.of(stRuntimeInfo), func(c context.Context) (*admin.RuntimeInfo, error) {
		return p.adm.BrokerRuntime(c, b.Addr)
	})
	if err != nil {
		return fmt.Errorf("runtime info: %w", err)
	}
	setRuntime(b, ri)
	p.refreshConfig(ctx, b, mem)
	if !b.IsMaster() {
		return nil // slaves mirror their master's topics and groups
	}
	l, err := p.list(ctx, b, mem)
	if err != nil {
		return err
	}
	now := time.Now()
	b.Counts = newCounts()
	b.Topics = p.topics(ctx, b, mem, l, now)
	b.Groups = p.groups(ctx, b, mem, l, now)
	if p.cfg.Leaks != nil && p.cfg.Shard.OwnsBroker(b.Cluster, b.Name) {
		p.probeLeaks(ctx, b, mem, l)
	}
	return nil
}

// setRuntime fills what the runtime info says of the broker itself.
func setRuntime(b *snapshot.Broker, ri *admin.RuntimeInfo) {
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
}

// list asks a master's four listings at once. Without topics, groups or
// consume stats what exists is unknown and the broker fails; without
// producers the last ones stand (the stage shows the failure).
func (p *Poller) list(ctx context.Context, b *snapshot.Broker, mem *brokerMemory) (*listings, error) {
	var l listings
	var errs [4]error
	var wg sync.WaitGroup
	run := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	t := mem.tally
	run(func() {
		l.topics, errs[0] = ask(ctx, p, t.of(stTopicConfig), func(c context.Context) (*admin.TopicConfigTable, error) {
			return p.adm.SiftedTopicConfig(c, b.Addr, p.topicSieve())
		})
	})
	run(func() {
		l.groups, errs[1] = ask(ctx, p, t.of(stSubscriptionGroups), func(c context.Context) (*admin.SubscriptionGroupTable, error) {
			return p.adm.SiftedSubscriptionGroups(c, b.Addr, p.groupSieve())
		})
	})
	run(func() {
		l.consume, errs[2] = ask(ctx, p, t.of(stConsumeStats), func(c context.Context) (*admin.BrokerConsumeStats, error) {
			return p.adm.SiftedConsumeStats(c, b.Addr, false, p.consumeSieve())
		})
	})
	run(func() {
		l.producer, errs[3] = ask(ctx, p, t.of(stProducers), func(c context.Context) (*admin.ProducerTable, error) {
			return p.adm.AllProducerInfo(c, b.Addr)
		})
	})
	wg.Wait()
	for i, what := range []string{"topic config", "subscription groups", "broker consume stats"} {
		if errs[i] != nil {
			return nil, fmt.Errorf("%s: %w", what, errs[i])
		}
	}
	switch {
	case errs[3] == nil:
		b.Producers = p.producers(l.producer)
	case mem.last != nil:
		b.Producers = mem.last.Producers
	}
	return &l, nil
}

// refreshConfig reads the broker's config every brokerConfigEvery cycles;
// a failure keeps the last one.
func (p *Poller) refreshConfig(ctx context.Context, b *snapshot.Broker, mem *brokerMemory) {
	if mem.config == nil || mem.cycles%brokerConfigEvery == 0 {
		cfg, err := ask(ctx, p, mem.tally.of(stBrokerConfig), func(c context.Context) (map[string]string, error) {
			return p.adm.BrokerConfig(c, b.Addr)
		})
		if err == nil {
			mem.config = keepCleanupConfig(cfg)
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
		if !p.cfg.Groups.Keep(name) || !p.cfg.Shard.Owns(name) {
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
