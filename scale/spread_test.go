package scale

import (
	"context"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// spreadKinds are the requests whose re-checks the poller spreads by name
// hash (poller/spread.go).
var spreadKinds = []string{"GET_TOPIC_STATS_INFO", "GET_CONSUMER_CONNECTION_LIST"}

// TestRecheckSpread: with traffic, once every entity has been answered,
// each cycle carries about a quarter of the still topics' and offline
// groups' re-checks (and of the consumed topics' range refreshes): the
// calls the simulator receives per cycle stay within a small band, where
// re-checking all of them every 4th cycle made that cycle several times
// the others.
func TestRecheckSpread(t *testing.T) {
	c := exportertest.Sim(t, simbroker.Options{Topics: 2000, Groups: 1000})
	sim := Local(c)
	a := newExporter(t, sim.Namesrv(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	per := map[string][]int{}
	for k := 1; k <= 10; k++ {
		if k > 1 {
			sim.Tick()
		}
		cy, err := RunCycle(ctx, a, sim)
		if err != nil {
			t.Fatal(err)
		}
		if k <= 6 { // first sights, and the cycle-1 topics' first turn
			continue
		}
		for _, kind := range spreadKinds {
			per[kind] = append(per[kind], cy.RPCs[kind])
		}
	}
	for _, kind := range spreadKinds {
		lo, hi, sum := per[kind][0], per[kind][0], 0
		for _, n := range per[kind] {
			lo, hi, sum = min(lo, n), max(hi, n), sum+n
		}
		mean := float64(sum) / float64(len(per[kind]))
		// A quarter of a thousand names by hash varies by a few tens.
		if float64(hi-lo) > 0.2*mean+10 {
			t.Errorf("%s per cycle %v: from %d to %d around a mean of %.0f", kind, per[kind], lo, hi, mean)
		}
		t.Logf("%s per cycle: %v", kind, per[kind])
	}
}

// TestFirstSightCap: a start at 20,000 topics and 10,000 groups on one
// broker asks max(2,000, entities/4) first-sight topic stats and
// connection lists in its first cycle, as the simulator counts them, and
// as many first sights in each later one, until none is left; what is not
// yet asked is served as unknown (no offsets, no range, no online state)
// and counted pending; every topic and group is answered within 4 cycles.
func TestFirstSightCap(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 topics")
	}
	c := exportertest.Sim(t, simbroker.Options{Topics: 20000, Groups: 10000})
	sim := Local(c)
	a := newExporter(t, sim.Namesrv(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	truth := c.Truth(ActiveWindow)[0] // business, system and retry topics
	topics, groups := truth.Topics, truth.Groups
	capT, capG := max(2000, (topics+3)/4), max(2000, (groups+3)/4)
	for k := 1; k <= 4; k++ {
		cy, err := RunCycle(ctx, a, sim)
		if err != nil {
			t.Fatal(err)
		}
		nT, nG := cy.RPCs["GET_TOPIC_STATS_INFO"], cy.RPCs["GET_CONSUMER_CONNECTION_LIST"]
		if k == 1 && (nT != capT || nG != capG) {
			t.Errorf("cycle 1: %d topic stats and %d connection lists received, the caps are %d and %d", nT, nG, capT, capG)
		}
		b := onlyMaster(t, cy.Snapshot)
		wantT, wantG := max(0, topics-k*capT), max(0, groups-k*capG)
		if got := b.FirstSightPending; got[snapshot.CarriedTopicOffsets] != wantT || got[snapshot.CarriedGroupOnline] != wantG {
			t.Errorf("cycle %d: pending %v, want %d topics and %d groups", k, got, wantT, wantG)
		}
		unknownT, unknownG := unknown(b)
		if unknownT != wantT || unknownG != wantG {
			t.Errorf("cycle %d: %d topics and %d groups served as unknown, %d and %d not yet asked", k, unknownT, unknownG, wantT, wantG)
		}
		t.Logf("cycle %d: %d topic stats, %d connection lists received; pending %v", k, nT, nG, b.FirstSightPending)
	}
}

func onlyMaster(t *testing.T, s *snapshot.Snapshot) *snapshot.Broker {
	t.Helper()
	for _, b := range s.Brokers {
		if b.IsMaster() && b.Up {
			return b
		}
	}
	t.Fatal("no master up")
	return nil
}

// unknown counts the topics whose stats and the groups whose connection
// list the snapshot does not claim to know.
func unknown(b *snapshot.Broker) (topics, groups int) {
	for _, t := range b.Topics {
		if !t.HasOffsets || t.RangePending {
			topics++
		}
	}
	for _, g := range b.Groups {
		if g.OnlinePending {
			groups++
		}
	}
	return topics, groups
}
