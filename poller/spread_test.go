package poller_test

import (
	"context"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/poller"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// TestConsumedTopicRangeAfterRetention: a topic some group has offsets on
// gets its max offsets from consume stats, but its min offset and last
// put only from its own GET_TOPIC_STATS_INFO. After retention deletes
// stored messages, every such topic must serve the broker's stored count
// and last put within 20 cycles (rangeRefreshEvery), not the messages
// ever put and no last put at all.
func TestConsumedTopicRangeAfterRetention(t *testing.T) {
	c := startSim(t, simbroker.Options{Topics: 8, Groups: 8, OnlineEvery: -1, ActiveEvery: 1})
	c.Tick()
	p := newPoller(t, [][]string{{c.Namesrv.Addr}}, nil, func(cfg *poller.Config) { cfg.IdleTopicRefreshCycles = 4 })
	master(t, p)
	if c.Expire(time.Now().Add(time.Hour)) == 0 { // every message stored so far
		t.Fatal("retention deleted nothing")
	}
	rc := remoting.NewClient(remoting.Options{DialTimeout: 2 * time.Second})
	t.Cleanup(func() { rc.Close() })
	adm := admin.New(rc)
	for k := 1; k <= 20; k++ {
		c.Tick() // the store moves: the broker is not still
		master(t, p)
	}
	_, b := master(t, p) // no tick since the last: the broker's figures are the judge's
	consumed := map[string]bool{}
	for _, o := range c.Oracle()[0].Offsets {
		consumed[o.Topic] = true
	}
	checked := 0
	for _, tp := range b.Topics {
		if !consumed[tp.Name] {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ts, err := adm.TopicStats(ctx, b.Addr, tp.Name)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		var stored, last int64
		for _, q := range ts.Queues {
			stored += q.MaxOffset - q.MinOffset
			last = max(last, q.LastUpdateTimestamp)
		}
		if got := tp.MaxOffset - tp.MinOffset; !tp.HasOffsets || tp.RangePending || got != stored {
			t.Errorf("%s: serves %d stored messages (offsets %v, range pending %v); the broker stores %d",
				tp.Name, got, tp.HasOffsets, tp.RangePending, stored)
		}
		if tp.LastPut <= 0 || tp.LastPut > last {
			t.Errorf("%s: last put %d, the broker's is %d", tp.Name, tp.LastPut, last)
		}
		checked++
	}
	if checked != 8 {
		t.Errorf("%d business topics checked, want 8", checked)
	}
}
