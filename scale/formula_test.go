package scale

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newExporter(t testing.TB, namesrv string, mod func(*app.Settings)) *app.App {
	t.Helper()
	a, err := NewExporter(namesrv, mod)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// complete reports what the snapshot of broker name lacks against truth.
func complete(t *testing.T, s *snapshot.Snapshot, truth simbroker.BrokerTruth) {
	t.Helper()
	for _, b := range s.Brokers {
		if b.Name != truth.Name || !b.IsMaster() {
			continue
		}
		if !b.Up || b.Stale {
			t.Errorf("%s: up %v stale %v err %q", b.Name, b.Up, b.Stale, b.Err)
			return
		}
		var lag int64
		pairs := 0
		for _, g := range b.Groups {
			for _, gt := range g.Topics {
				lag += gt.Lag
				pairs++
			}
		}
		offsets := 0
		for _, tp := range b.Topics {
			if tp.HasOffsets {
				offsets++
			}
		}
		if len(b.Topics) != truth.Topics || offsets != truth.Topics || len(b.Groups) != truth.Groups || pairs != truth.Pairs || lag != truth.Lag {
			t.Errorf("%s: %d topics (%d with offsets), %d groups, %d pairs, lag %d; the broker holds %d topics, %d groups, %d pairs, lag %d",
				b.Name, len(b.Topics), offsets, len(b.Groups), pairs, lag, truth.Topics, truth.Groups, truth.Pairs, truth.Lag)
		}
		return
	}
	t.Errorf("%s: not in the snapshot", truth.Name)
}

// TestRPCFormula checks the calls the simulated servers received in each
// cycle, by request, against the written formula (Expected, on what the
// brokers hold) and against the exporter's own counter, and the data
// against the brokers' own figures.
func TestRPCFormula(t *testing.T) {
	small := simbroker.Options{Brokers: 3, Slaves: true, Topics: 300, Groups: 150, Latency: time.Millisecond}
	t.Run("traffic", func(t *testing.T) { formula(t, small, 6, false, false) })
	t.Run("idle", func(t *testing.T) { formula(t, small, 6, true, false) })
	t.Run("message rates", func(t *testing.T) { formula(t, small, 6, false, true) })
	// Past the first-sight floor (2,000 a broker a cycle) topics and
	// groups wait their turn over the first cycles: in cycle 2 the groups
	// beyond the first 4,000 have never had their connection list
	// answered while their pairs already consume (not a sign of POP: no
	// GROUP_ACK_NUMS for them).
	t.Run("first sights capped", func(t *testing.T) {
		cys := formula(t, simbroker.Options{Topics: 2400, Groups: 4800, OnlineEvery: 3, ActiveEvery: 3}, 4, false, false)
		waiting := 0
		for _, b := range cys[1].Snapshot.Brokers {
			waiting += b.FirstSightPending[snapshot.CarriedGroupOnline]
		}
		if waiting == 0 {
			t.Errorf("cycle 2: no group waits for its first connection list: the phase tests nothing")
		}
	})
}

// formula runs cycles cycles on a cluster of shape o and checks each;
// it returns them for what a phase checks of its own.
func formula(t *testing.T, o simbroker.Options, cycles int, idle, rates bool) []Cycle {
	c := exportertest.Sim(t, o)
	sim := Local(c)
	a := newExporter(t, sim.Namesrv(), func(s *app.Settings) { s.MessageRates = rates })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	masters, slaves := max(o.Brokers, 1), 0
	if o.Slaves {
		slaves = masters
	}
	var out []Cycle
	for i := 0; i < cycles; i++ {
		ph := Phase{K: i + 1, Slaves: slaves, Idle: idle, MessageRates: rates}
		if i > 0 && !idle {
			sim.Tick()
		}
		cy, err := RunCycle(ctx, a, sim)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cy)
		truth, _ := sim.Truth(ActiveWindow)
		want := Expected(truth, ph)
		for _, d := range Diff(want, cy.RPCs) {
			t.Errorf("cycle %d: %s", i+1, d)
		}
		for _, d := range DiffCounted(cy.RPCs, cy.Counted) {
			t.Errorf("cycle %d: %s", i+1, d)
		}
		if cy.TotalRPCs == 0 || len(cy.ByServer) != 1+masters+slaves { // and the namesrv
			t.Errorf("cycle %d: %d requests received, by server %v", i+1, cy.TotalRPCs, cy.ByServer)
		}
		if cy.BrokersUp != masters+slaves {
			t.Errorf("cycle %d: %d brokers up", i+1, cy.BrokersUp)
		}
		settled(t, cy.Snapshot, truth, i+1 == cycles)
		t.Logf("cycle %d: %d RPCs in %v, %d bytes read", i+1, cy.TotalRPCs, cy.Duration.Round(time.Millisecond), cy.BytesRead)
	}
	return out
}

// settled checks the data against truth once the snapshot says no first
// sight is pending (until then a topic or group waiting its turn has, by
// design, no figures); by the last cycle none may be.
func settled(t *testing.T, s *snapshot.Snapshot, truth []simbroker.BrokerTruth, last bool) {
	t.Helper()
	for _, b := range s.Brokers {
		n := 0
		for _, v := range b.FirstSightPending {
			n += v
		}
		if n > 0 {
			if last {
				t.Errorf("%s: first sights still pending in the last cycle: %v", b.Name, b.FirstSightPending)
			}
			return
		}
	}
	for _, b := range truth {
		complete(t, s, b)
	}
}

// TestFormulaInTheDocs: README.md and BENCHMARKS.md state the per-cycle
// calls as "1 + N × masters + processes + …"; N must be the listings per
// master of Expected, the formula TestRPCFormula holds against what the
// simulator receives.
func TestFormulaInTheDocs(t *testing.T) {
	one := Expected([]simbroker.BrokerTruth{{Name: "broker-0"}}, Phase{K: 2})
	perMaster := Total(one) - 1 - 1 // the cluster info, the one process's runtime info
	stated := regexp.MustCompile(`1 \+ (?:masters × (\d+)|(\d+) × masters) \+ processes`)
	for _, doc := range []string{"../README.md", "../BENCHMARKS.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		m := stated.FindAllStringSubmatch(strings.Join(strings.Fields(string(b)), " "), -1)
		if len(m) == 0 {
			t.Errorf("%s: no formula of the form %q", doc, stated)
		}
		for _, f := range m {
			if n, _ := strconv.Atoi(f[1] + f[2]); n != perMaster {
				t.Errorf("%s: %q, but the formula asks %d listings per master", doc, f[0], perMaster)
			}
		}
	}
}
