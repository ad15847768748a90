package audit

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// TestShardedAuditsAddUp: three replicas' audits (--shard.count 3) report
// each master exactly once between them, and each report is the unsharded
// audit's for that master, on a simulated cluster whose churn (with
// autoDeleteUnusedStats off) left leaked stat items, orphaned offsets and
// retry topics on several brokers.
func TestShardedAuditsAddUp(t *testing.T) {
	keep := false
	c := exportertest.Sim(t, simbroker.Options{Brokers: 5, Topics: 100, Groups: 50, OnlineEvery: 5,
		ActiveEvery: 1, InitialMessages: 10, OfflineLag: 3, AutoDeleteUnusedStats: &keep})
	c.Tick()
	// On every broker, a consumed topic and a group deleted by the admin
	// call alone: offsets and stat items stay behind.
	for i, v := range c.Oracle() {
		deleted := 0
		for _, tp := range v.Topics {
			if !v.System[tp] && !strings.HasPrefix(tp, "%") && deleted < 2 {
				if ok, err := c.DeleteTopic(i, tp, simbroker.ByAPI); err != nil || !ok {
					t.Fatalf("deleting %s on %s: %v %v", tp, v.Name, ok, err)
				}
				deleted++
			}
		}
		for _, g := range v.Groups {
			if !v.System[g] && deleted < 4 {
				if ok, err := c.DeleteGroup(i, g, simbroker.ByAPI, false); err != nil || !ok {
					t.Fatalf("deleting %s on %s: %v %v", g, v.Name, ok, err)
				}
				deleted++
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	audit := func(count, index int) map[string]string {
		s := exportertest.Settings(c.Namesrv.Addr)
		s.ShardCount, s.ShardIndex = count, index
		a := exportertest.App(t, s)
		reports, _ := Run(ctx, a.Core, nil)
		out := map[string]string{}
		for _, r := range reports {
			js, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			out[r.Cluster+"/"+r.Broker] = string(js)
		}
		return out
	}
	whole := audit(1, 0)
	found := 0
	for _, js := range whole {
		var r Report
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			t.Fatal(err)
		}
		if len(r.LeakedStatItems)+len(r.OrphanedOffsets)+len(r.LeftoverTopics) > 0 {
			found++
		}
	}
	if len(whole) != 5 || found < 3 {
		t.Fatalf("the unsharded audit reports %d masters, %d with findings: the churn left too little to compare", len(whole), found)
	}
	seen := map[string]int{}
	for i := range 3 {
		for broker, js := range audit(3, i) {
			if j, dup := seen[broker]; dup {
				t.Errorf("%s reported by shards %d and %d", broker, j, i)
			}
			seen[broker] = i
			if js != whole[broker] {
				t.Errorf("%s: shard %d reports\n%s\nthe unsharded audit\n%s", broker, i, js, whole[broker])
			}
		}
	}
	if len(seen) != len(whole) {
		t.Errorf("the shards report %d masters, the unsharded audit %d", len(seen), len(whole))
	}
}
