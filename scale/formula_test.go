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
// of six cycles, by request, against the written formula (Expected, on
// what the brokers hold) and against the exporter's own counter, and the
// data against the brokers' own figures.
func TestRPCFormula(t *testing.T) {
	t.Run("traffic", func(t *testing.T) { formula(t, false, false) })
	t.Run("idle", func(t *testing.T) { formula(t, true, false) })
	t.Run("message rates", func(t *testing.T) { formula(t, false, true) })
}

func formula(t *testing.T, idle, rates bool) {
	c := exportertest.Sim(t, simbroker.Options{Brokers: 3, Slaves: true, Topics: 300, Groups: 150, Latency: time.Millisecond})
	sim := Local(c)
	a := newExporter(t, sim.Namesrv(), func(s *app.Settings) { s.MessageRates = rates })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := 0; i < 6; i++ {
		ph := Phase{K: i + 1, Slaves: 3, Idle: idle, MessageRates: rates}
		if i > 0 && !idle {
			sim.Tick()
		}
		cy, err := RunCycle(ctx, a, sim)
		if err != nil {
			t.Fatal(err)
		}
		truth, _ := sim.Truth(ActiveWindow)
		want := Expected(truth, ph)
		for _, d := range Diff(want, cy.RPCs) {
			t.Errorf("cycle %d: %s", i+1, d)
		}
		for _, d := range DiffCounted(cy.RPCs, cy.Counted) {
			t.Errorf("cycle %d: %s", i+1, d)
		}
		if cy.TotalRPCs == 0 || len(cy.ByServer) != 7 { // the namesrv, 3 masters, 3 slaves
			t.Errorf("cycle %d: %d requests received, by server %v", i+1, cy.TotalRPCs, cy.ByServer)
		}
		if cy.BrokersUp != 6 {
			t.Errorf("cycle %d: %d brokers up", i+1, cy.BrokersUp)
		}
		for _, b := range truth {
			complete(t, cy.Snapshot, b)
		}
		t.Logf("cycle %d: %d RPCs in %v, %d bytes read", i+1, cy.TotalRPCs, cy.Duration.Round(time.Millisecond), cy.BytesRead)
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
