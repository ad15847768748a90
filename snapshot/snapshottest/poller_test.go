package snapshottest_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/poller"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot/snapshottest"
)

// pollerSnapshots runs a poller against two simulated clusters (masters
// with slaves, online groups with several clients, producers) as two
// targets, and returns a snapshot of every state the collector must serve:
// all up, one broker killed (carried over, stale), one silent (failed and
// carried over in its own cycle).
func pollerSnapshots(t *testing.T) []*snapshot.Snapshot {
	t.Helper()
	var targets [][]string
	var sims []*simbroker.Cluster
	for _, name := range []string{"EastCluster", "WestCluster"} {
		c, err := simbroker.Start(simbroker.Options{Cluster: name, Brokers: 2, Slaves: true, Topics: 6, Groups: 4,
			OnlineEvery: 2, Clients: 5, Producers: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		sims = append(sims, c)
		targets = append(targets, c.NamesrvAddrs())
	}
	rc := remoting.NewClient(remoting.Options{DialTimeout: 2 * time.Second})
	t.Cleanup(func() { rc.Close() })
	cfg := poller.DefaultConfig()
	cfg.Targets, cfg.Interval, cfg.CycleTimeout = targets, time.Minute, 30*time.Second
	cfg.ClientRunningInfo, cfg.QueueDetail = true, true
	p, err := poller.New(cfg, admin.New(rc), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out []*snapshot.Snapshot
	cycle := func(what string) {
		s := p.Cycle(ctx)
		if len(s.Brokers) == 0 {
			t.Fatalf("%s: the poller saw no broker", what)
		}
		out = append(out, s)
	}
	cycle("all up")
	sims[0].Tick()
	cycle("all up, after traffic")
	if err := sims[0].Kill(1); err != nil {
		t.Fatal(err)
	}
	cycle("a broker killed")
	sims[1].Brokers[0].Master.SetFault(simbroker.Fault{Hold: true})
	cycle("a broker silent")
	return out
}

// TestPollerSnapshots: the simulator and the poller are the judges.
func TestPollerSnapshots(t *testing.T) {
	ss := pollerSnapshots(t)
	t.Run("pass Check", func(t *testing.T) { passCheck(t, ss) })
	t.Run("rebuilt", func(t *testing.T) { rebuilt(t, ss) })
}

// passCheck: what Check demands, the poller makes, in every state: the
// invariants are the poller's, not the builder's.
func passCheck(t *testing.T, ss []*snapshot.Snapshot) {
	stale, slaves, clients := 0, 0, 0
	for _, s := range ss {
		snapshottest.Check(t, s)
		for _, b := range s.Brokers {
			if b.Stale {
				stale++
			}
			if !b.IsMaster() {
				slaves++
			}
			for _, g := range b.Groups {
				clients += len(g.Clients)
			}
		}
	}
	if stale == 0 || slaves == 0 || clients == 0 {
		t.Errorf("the run made %d stale brokers, %d slaves, %d clients: it checked less than it claims", stale, slaves, clients)
	}
}

// rebuilt: a poller's snapshot, its brokers, lists and clients reversed
// and every field the poller derives (Kind, Role, Target) cleared, comes
// out of the builder as the poller made it.
func rebuilt(t *testing.T, ss []*snapshot.Snapshot) {
	for _, s := range ss {
		head := *s
		head.Targets, head.Brokers = nil, nil
		b := snapshottest.New(t, head)
		for _, tg := range s.Targets {
			b.Target(*tg)
		}
		for i := len(s.Brokers) - 1; i >= 0; i-- {
			orig := s.Brokers[i]
			b.Broker(orig.Target, stripped(orig))
		}
		if got := b.Snapshot(); !reflect.DeepEqual(got, s) {
			t.Errorf("snapshot %d rebuilt differs from the poller's:\n%s", s.Seq, diffBrokers(s, got))
		}
	}
}

// stripped copies b with every list reversed and Kind, Role and Target
// cleared.
func stripped(b *snapshot.Broker) *snapshot.Broker {
	c := *b
	c.Role, c.Target = "", 0
	c.Topics = reversed(b.Topics)
	for i := range c.Topics {
		c.Topics[i].Kind = ""
	}
	c.Groups = reversed(b.Groups)
	for i := range c.Groups {
		c.Groups[i].Topics = reversed(c.Groups[i].Topics)
		c.Groups[i].Clients = reversed(c.Groups[i].Clients)
	}
	c.Producers = reversed(b.Producers)
	for i := range c.Producers {
		c.Producers[i].Clients = reversed(c.Producers[i].Clients)
	}
	return &c
}

func reversed[T any](xs []T) []T {
	if xs == nil {
		return nil
	}
	out := slices.Clone(xs)
	slices.Reverse(out)
	return out
}

func diffBrokers(want, got *snapshot.Snapshot) string {
	var b strings.Builder
	for i := range max(len(want.Brokers), len(got.Brokers)) {
		if i >= len(want.Brokers) || i >= len(got.Brokers) || !reflect.DeepEqual(want.Brokers[i], got.Brokers[i]) {
			fmt.Fprintf(&b, "broker %d differs\n", i)
		}
	}
	return b.String()
}
