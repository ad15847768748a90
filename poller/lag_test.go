package poller_test

import (
	"math"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/poller"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// ageSlack is how far a served age may be from the simulator's: the
// cycle's own duration and rounding. The simulated messages are 36 s
// apart, so an age read from the wrong message is far outside it.
const ageSlack = 5.0

// fresh tells whether gt's age is the one the simulator gives now.
func fresh(c *simbroker.Cluster, s *snapshot.Snapshot, g string, gt snapshot.GroupTopic) (bool, float64) {
	at, ok := c.OldestUnconsumed(gt.Topic, g)
	if !ok {
		return false, 0
	}
	want := s.Finished.Sub(at).Seconds()
	return gt.HasLagSeconds && math.Abs(gt.LagSeconds-want) < ageSlack, want
}

// pairs lists the business (topic, group) pairs of b.
func pairs(b *snapshot.Broker) map[string]snapshot.GroupTopic {
	out := map[string]snapshot.GroupTopic{}
	for _, g := range b.Groups {
		for _, gt := range g.Topics {
			out[g.Name] = gt
		}
	}
	return out
}

// TestLagSecondsAfterRetention: offline groups keep their offsets while
// retention deletes the oldest messages past them. The age served must
// then be that of the oldest unconsumed message still stored, not the
// cached age of a deleted one.
func TestLagSecondsAfterRetention(t *testing.T) {
	c := startSim(t, simbroker.Options{Topics: 3, Groups: 3, OnlineEvery: -1, ActiveEvery: 1, OfflineLag: 20})
	c.Tick() // a broker that has put something reports its earliest stored message
	p := newPoller(t, [][]string{{c.Namesrv.Addr}}, nil, nil)

	check := func(what string) {
		t.Helper()
		s, b := master(t, p)
		ps := pairs(b)
		if len(ps) != 3 {
			t.Fatalf("%s: %d lagging pairs, want 3", what, len(ps))
		}
		for g, gt := range ps {
			if ok, want := fresh(c, s, g, gt); !ok {
				t.Errorf("%s: %s@%s age %v (known %v); the oldest unconsumed message still stored is %.0f s old",
					what, gt.Topic, g, gt.LagSeconds, gt.HasLagSeconds, want)
			}
		}
	}
	check("before retention")
	// Delete every message stored up to 6 minutes after the oldest
	// unconsumed one: the consumer offsets now point at deleted messages.
	var oldest time.Time
	for g, gt := range pairs(mustMaster(t, p)) {
		if at, ok := c.OldestUnconsumed(gt.Topic, g); ok && (oldest.IsZero() || at.Before(oldest)) {
			oldest = at
		}
	}
	if n := c.Expire(oldest.Add(6 * time.Minute)); n == 0 {
		t.Fatal("retention deleted nothing")
	}
	check("after retention")
	check("the cycle after")
}

func mustMaster(t *testing.T, p *poller.Poller) *snapshot.Broker {
	t.Helper()
	_, b := master(t, p)
	return b
}

// TestLagSecondsBudgetIsFair: six lagging groups all move every cycle, so
// none keeps a cached age, and the broker may be asked for two ages per
// cycle. Every pair must get its turn within three cycles (the ones
// sorted last too), each cycle must read two fresh ages, and the other
// four are pending.
func TestLagSecondsBudgetIsFair(t *testing.T) {
	const budget, groups = 2, 6
	c := startSim(t, simbroker.Options{Topics: groups, Groups: groups, OnlineEvery: -1, ActiveEvery: -1, OfflineLag: 50})
	p := newPoller(t, [][]string{{c.Namesrv.Addr}}, nil, func(cfg *poller.Config) { cfg.LagSecondsBudget = budget })
	read := map[string]int{}
	for k := 1; k <= 4; k++ {
		if k > 1 {
			for g := range read {
				if !c.Consume(g, 1) {
					t.Fatalf("group %s unknown to the simulator", g)
				}
			}
		}
		s, b := master(t, p)
		ps := pairs(b)
		if len(ps) != groups {
			t.Fatalf("cycle %d: %d lagging pairs, want %d", k, len(ps), groups)
		}
		n := 0
		for g, gt := range ps {
			if ok, _ := fresh(c, s, g, gt); ok {
				read[g]++
				n++
			} else if _, seen := read[g]; !seen {
				read[g] = 0
			}
		}
		if n != budget {
			t.Errorf("cycle %d: %d ages read fresh, want the budget, %d", k, n, budget)
		}
		if b.LagPending != groups-budget {
			t.Errorf("cycle %d: %d look-ups pending, want %d", k, b.LagPending, groups-budget)
		}
		if k == groups/budget {
			for g, times := range read {
				if times == 0 {
					t.Errorf("after %d cycles the age of %s was never read", k, g)
				}
			}
		}
	}
}
