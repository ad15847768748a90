package poller_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/poller"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// TestAckRatesAskedOnlyWhenServed: a group whose messages are fetched while
// the broker lists no consumer of it may be a POP group; its consuming
// pairs' acknowledgements (GROUP_ACK_NUMS) are asked only when AckRates
// says a family serves them (--collect.message-rates). What the poller
// sent, seen on its connection, is the judge.
func TestAckRatesAskedOnlyWhenServed(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprintf("AckRates=%v", on), func(t *testing.T) {
			c := startSim(t, simbroker.Options{Topics: 2, Groups: 2, Queues: 2}) // no group online
			var acks atomic.Int64
			rc := remoting.NewClient(remoting.Options{Tap: func(_ string, req, _ *remoting.Command) {
				if req.Code == remoting.ViewBrokerStatsData && req.ExtFields["statsName"] == "GROUP_ACK_NUMS" {
					acks.Add(1)
				}
			}})
			t.Cleanup(func() { rc.Close() })
			cfg := poller.DefaultConfig()
			cfg.Targets, cfg.Interval, cfg.CycleTimeout = [][]string{{c.Namesrv.Addr}}, time.Minute, 30*time.Second
			cfg.AckRates = on
			p, err := poller.New(cfg, admin.New(rc), nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			p.Cycle(ctx)
			c.Tick()
			for _, g := range c.Truth(time.Minute)[0].GroupList {
				if g.Online || !c.Consume(g.Name, 1) {
					t.Fatalf("group %s: online, or unknown to the simulator", g.Name)
				}
			}
			p.Cycle(ctx)
			switch n := acks.Load(); {
			case on && n == 0:
				t.Fatal("no GROUP_ACK_NUMS asked of consuming groups no consumer is listed for: the test proves nothing")
			case !on && n > 0:
				t.Errorf("%d GROUP_ACK_NUMS asked, which no family serves", n)
			}
		})
	}
}
