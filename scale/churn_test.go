package scale

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// TestChurnShort is the soak of cmd/bench in miniature: every cycle deletes
// and creates 5 % of the topics and groups. Every broker stays up, the
// series count stays where it was, and no goroutine is left behind.
func TestChurnShort(t *testing.T) {
	c := exportertest.Sim(t, simbroker.Options{Brokers: 3, Topics: 150, Groups: 75, Seed: 3})
	sim := Local(c)
	a := newExporter(t, sim.Namesrv(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var startSeries, startG int
	for k := 1; k <= 20; k++ {
		if k > 1 {
			sim.Churn(0.05)
			sim.Tick()
		}
		cy, err := RunCycle(ctx, a, sim)
		if err != nil {
			t.Fatal(err)
		}
		if cy.BrokersDown > 0 {
			t.Fatalf("cycle %d: %d brokers down", k, cy.BrokersDown)
		}
		if k == 2 || k == 20 {
			s, err := RunScrape(a)
			if err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			g := runtime.NumGoroutine()
			if k == 2 {
				startSeries, startG = s.Series, g
				continue
			}
			if d := float64(s.Series-startSeries) / float64(startSeries); d > 0.05 || d < -0.05 {
				t.Errorf("series %d after 20 cycles, %d at the start", s.Series, startSeries)
			}
			if g > startG+2 {
				t.Errorf("%d goroutines after 20 cycles, %d at the start", g, startG)
			}
			t.Logf("series %d -> %d, goroutines %d -> %d", startSeries, s.Series, startG, g)
		}
	}
}
