package scale

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

const (
	faultCallTimeout  = 2 * time.Second
	faultCycleTimeout = 5 * time.Second
	// deadlineSlack is what a cycle may take past its deadline: the
	// goroutines see the cancellation and the snapshot is assembled.
	deadlineSlack = 500 * time.Millisecond
)

// TestFaults breaks one of three brokers in each way a broker goes wrong
// and checks that the cycle still ends by its deadline, that the other
// brokers' data is complete, that nothing panics or leaks, and that the
// exporter recovers by itself once the fault ends.
func TestFaults(t *testing.T) {
	cases := []struct {
		name  string
		fault simbroker.Fault
		want  outcome
	}{
		{"10x slower", simbroker.Fault{Latency: 9 * time.Millisecond}, whole},
		// It answers the listings, then nothing: the per-topic calls time
		// out and the topics keep last cycle's offsets, or (when the hold
		// catches a listing) the broker is down with its last data.
		{"stops answering mid-cycle", simbroker.Fault{Hold: true, AfterCalls: 12}, soft},
		{"stops answering", simbroker.Fault{Hold: true}, down},
		{"closes connections", simbroker.Fault{Close: true}, down},
		{"answers garbage", simbroker.Fault{Garbage: true}, down},
		{"answers SYSTEM_BUSY", simbroker.Fault{Code: remoting.CodeSystemBusy, Remark: "[PCBUSY_CLEAN_QUEUE]broker busy"}, down},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			runFault(t, tc.fault, tc.want)
		})
	}
}

// outcome is what the faulty broker's record looks like while it lasts.
type outcome int

const (
	whole outcome = iota // up, complete
	down                 // down, serving its last data as stale (grace)
	soft                 // either, but every topic and group still there
)

func runFault(t *testing.T, fault simbroker.Fault, want outcome) {
	c, err := simbroker.Start(simbroker.Options{Brokers: 3, Topics: 90, Groups: 45, Latency: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sim := Local(c)
	a, err := NewExporter(sim.Namesrv(), func(s *app.Settings) {
		s.Timeout, s.CycleTimeout = faultCallTimeout, faultCycleTimeout
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cycle := func(what string) Cycle {
		t.Helper()
		sim.Tick()
		cy, err := RunCycle(ctx, a, sim)
		if err != nil {
			t.Fatal(err)
		}
		if cy.Duration > faultCycleTimeout+deadlineSlack {
			t.Errorf("%s: the cycle took %v, past its %v deadline", what, cy.Duration, faultCycleTimeout)
		}
		return cy
	}
	check := func(what string, cy Cycle, skip string) {
		t.Helper()
		truth, _ := sim.Truth(ActiveWindow)
		for _, b := range truth {
			if b.Name != skip {
				complete(t, cy.Snapshot, b)
			}
		}
		if t.Failed() {
			t.Fatalf("%s: data incomplete; call errors so far: %v", what, rpcErrors(a))
		}
	}
	check("healthy", cycle("healthy"), "")

	bad := c.Brokers[1]
	bad.Master.SetFault(fault)
	for i := 0; i < 2; i++ {
		cy := cycle("faulty")
		check("faulty", cy, bad.Name)
		for _, b := range cy.Snapshot.Brokers {
			if b.Name != bad.Name {
				continue
			}
			if want == down && (b.Up || b.Err == "") {
				t.Errorf("cycle %d with the fault: %s up %v err %q", i+1, b.Name, b.Up, b.Err)
			}
			if !b.Up && !b.Stale {
				t.Errorf("cycle %d with the fault: %s lost its last data within the grace period", i+1, b.Name)
			}
			truth, _ := sim.Truth(ActiveWindow)
			if tb := truth[1]; len(b.Topics) != tb.Topics || len(b.Groups) != tb.Groups {
				t.Errorf("cycle %d with the fault: %s shows %d topics and %d groups of %d and %d",
					i+1, b.Name, len(b.Topics), len(b.Groups), tb.Topics, tb.Groups)
			}
		}
		if want == whole {
			check("faulty, but within reach", cy, "")
		}
	}

	bad.Master.ClearFault()
	// Recovery by itself: within two cycles every broker is whole again.
	var cy Cycle
	for i := 0; i < 2; i++ {
		cy = cycle("recovering")
		if cy.BrokersDown == 0 {
			break
		}
	}
	check("recovered", cy, "")
}

// rpcErrors reads the exporter's own error counters, for failure messages.
func rpcErrors(a *app.App) map[string]float64 {
	out := map[string]float64{}
	mfs, _ := a.Registry.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "rocketmq_exporter_rpc_errors_total" {
			continue
		}
		for _, m := range mf.Metric {
			key := ""
			for _, l := range m.Label {
				key += l.GetValue() + " "
			}
			out[key] = m.Counter.GetValue()
		}
	}
	return out
}
