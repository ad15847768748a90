package leak_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// TestStateOutlivesAProcessThatNeverReachedTheBroker: an exporter learns
// that topic orders was deleted and saves it in its state file; the next
// process never reaches the broker (every call fails) and saves its state;
// the audit after it, once the broker answers again, must still know
// orders: the broker still holds its stat items (no restart), and no
// offset or leftover would lead a fresh pass to them.
func TestStateOutlivesAProcessThatNeverReachedTheBroker(t *testing.T) {
	c := exportertest.Sim(t, simbroker.Options{Version: "4.9.7"})
	must := func(ok bool, err error) {
		t.Helper()
		if err != nil || !ok {
			t.Fatalf("simulator refused: %v %v", ok, err)
		}
	}
	must(c.CreateTopic(0, "orders", 2))
	must(c.Produce(0, "orders", 3))
	s := exportertest.Settings(c.Namesrv.Addr)
	s.StateFile = filepath.Join(t.TempDir(), "state.json")
	first := exportertest.App(t, s)
	first.Cycle(context.Background())
	must(c.DeleteTopic(0, "orders", simbroker.ByAPI))
	first.Cycle(context.Background())
	first.Poller.SaveState()
	held := false
	for _, it := range c.Oracle()[0].Leaked {
		held = held || (it.Stats == "TOPIC_PUT_NUMS" && it.Key == "orders")
	}
	if !held {
		t.Fatal("the simulator holds no TOPIC_PUT_NUMS orders after the deletion: the test proves nothing")
	}

	c.Brokers[0].Master.SetFault(simbroker.Fault{Code: 1, Remark: "down for the test"})
	second := exportertest.App(t, s)
	for range 3 {
		if snap := second.Cycle(context.Background()); len(snap.Brokers) > 0 && snap.Brokers[0].Up {
			t.Fatal("the broker answered the second process: the test proves nothing")
		}
	}
	second.Poller.SaveState()
	c.Brokers[0].Master.SetFault(simbroker.Fault{})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reports, _ := auditAlone(ctx, t, s)
	for _, r := range reports {
		for _, it := range r.LeakedStatItems {
			if it.Stats == "TOPIC_PUT_NUMS" && it.Key == "orders" {
				return
			}
		}
	}
	t.Errorf("audit does not report TOPIC_PUT_NUMS orders, which the broker holds: %+v", reports)
}
