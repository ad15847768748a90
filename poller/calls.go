package poller

import (
	"context"
	"sync"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

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

// stat reads one stat item; "not exist" is an answer (nothing in the
// window), returned as nil without error.
func (p *Poller) stat(ctx context.Context, st *stageCount, addr, name, key string) (*admin.BrokerStatsData, error) {
	d, err := ask(ctx, p, st, func(c context.Context) (*admin.BrokerStatsData, error) {
		return p.adm.ViewBrokerStatsData(c, addr, name, key)
	})
	if admin.IsStatsNotExist(err) {
		return nil, nil
	}
	return d, err
}
