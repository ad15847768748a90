package exportertest

import (
	"context"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// TestAppSeesTheSim: one cycle of the assembled exporter finds every
// master the simulator runs, with the topics the simulator holds.
func TestAppSeesTheSim(t *testing.T) {
	c := Sim(t, simbroker.Options{Brokers: 2, Topics: 4, Groups: 2})
	a := App(t, Settings(c.Namesrv.Addr))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	snap := a.Cycle(ctx)
	truth := c.Truth(time.Minute)
	topics := map[string]int{}
	for _, b := range snap.Brokers {
		if b.Err != "" {
			t.Fatalf("broker %s: %s", b.Addr, b.Err)
		}
		topics[b.Addr] = len(b.Topics)
	}
	if len(topics) != len(truth) {
		t.Fatalf("the exporter found brokers %v, the simulator runs %d", topics, len(truth))
	}
	for _, bt := range truth {
		if topics[bt.Addr] != bt.Topics {
			t.Errorf("broker %s: %d topics found, the simulator holds %d", bt.Addr, topics[bt.Addr], bt.Topics)
		}
	}
}
