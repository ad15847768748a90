package poller

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// nsRound is one cycle's GET_BROKER_CLUSTER_INFO to every namesrv of a
// target, all asked at once.
type nsRound struct {
	ch  []chan nsAnswer
	got []*nsAnswer
}

type nsAnswer struct {
	ci  *admin.ClusterInfo
	err error
}

// askNamesrvs asks every namesrv of target ti for cluster info at once, so
// that one dead namesrv of three shows, and failing over never waits for
// a call that was not yet made.
func (p *Poller) askNamesrvs(ctx context.Context, ti int) *nsRound {
	addrs := p.targets[ti].Namesrvs
	r := &nsRound{ch: make([]chan nsAnswer, len(addrs)), got: make([]*nsAnswer, len(addrs))}
	for i, addr := range addrs {
		ch := make(chan nsAnswer, 1)
		r.ch[i] = ch
		go func() {
			var a nsAnswer
			a.ci, a.err = ask(ctx, p, nil, func(c context.Context) (*admin.ClusterInfo, error) { return p.adm.ClusterInfo(c, addr) })
			ch <- a
		}()
	}
	return r
}

// answer waits for the answer of namesrv i of the round.
func (r *nsRound) answer(i int) nsAnswer {
	if r.got[i] == nil {
		a := <-r.ch[i]
		r.got[i] = &a
	}
	return *r.got[i]
}

// settleNamesrvs waits for every namesrv of target ti, records which
// answered in t, and logs a namesrv once when it stops answering and once
// when it answers again.
func (p *Poller) settleNamesrvs(ti int, t *snapshot.Target, r *nsRound) {
	if p.nsDown == nil {
		p.nsDown = map[nsKey]bool{}
	}
	t.NamesrvUp = make(map[string]bool, len(t.Namesrvs))
	for i, addr := range t.Namesrvs {
		a := r.answer(i)
		t.NamesrvUp[addr] = a.err == nil
		k := nsKey{ti, addr}
		switch down := p.nsDown[k]; {
		case a.err != nil && !down:
			p.log.Warn("namesrv stopped answering", "namesrv", addr, "target", t.Name, "err", a.err)
		case a.err == nil && down:
			p.log.Info("namesrv answers again", "namesrv", addr, "target", t.Name)
		}
		p.nsDown[k] = a.err != nil
	}
}

// nsKey names one namesrv address of one target.
type nsKey struct {
	target int
	addr   string
}

// discover takes the target's cluster info from the namesrv that answered
// last, failing over to the others in order; the first that answers is
// the authority for the broker list.
func (p *Poller) discover(ti int, r *nsRound) *snapshot.Target {
	prev := p.targets[ti]
	t := &snapshot.Target{Name: prev.Name, Namesrvs: prev.Namesrvs, LastSuccess: prev.LastSuccess}
	var errs []error
	n := len(prev.Namesrvs)
	for k := 0; k < n; k++ {
		idx := (p.lastNS[ti] + k) % n
		addr := prev.Namesrvs[idx]
		a := r.answer(idx)
		ci, err := a.ci, a.err
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !prev.Up && !prev.LastSuccess.IsZero() {
			p.log.Info("the target's namesrvs answer again", "target", prev.Name, "namesrv", addr)
		}
		p.lastNS[ti] = idx
		t.Up, t.Namesrv, t.LastSuccess = true, addr, time.Now()
		p.setInstances(ti, ci)
		for c := range ci.ClusterAddrTable {
			t.Clusters = append(t.Clusters, c)
		}
		sort.Strings(t.Clusters)
		p.targets[ti] = t
		return t
	}
	t.Err = errors.Join(errs...).Error()
	if prev.Up || (prev.LastSuccess.IsZero() && prev.Err == "") { // once, not every cycle
		p.log.Warn("no namesrv of the target answered", "namesrvs", prev.Namesrvs, "err", t.Err)
	}
	p.setInstances(ti, nil)
	p.targets[ti] = t
	return t
}

// instances holds, per target, the brokers its last answer listed (nil
// when it did not answer this cycle).
func (p *Poller) setInstances(ti int, ci *admin.ClusterInfo) {
	if ci == nil {
		p.instances[ti] = nil
		return
	}
	p.instances[ti] = ci.Instances()
	for _, inst := range p.instances[ti] {
		if m := p.memory[brokerKey(inst)]; m != nil {
			m.target = ti
		} else {
			p.memory[brokerKey(inst)] = &brokerMemory{target: ti}
		}
	}
}
