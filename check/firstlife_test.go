package check

import (
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// TestCheckOwesFirstLivesAcrossRestarts replays a fixed log on a 4.9.7
// broker (it leaks): group cg0 consumes tp0 and is deleted with its
// offsets; the exporter sees it, cg0 comes back on tp1 only, the exporter
// restarts (state file), and cg0 is deleted again. The tp0@cg0 items of
// cg0's first life are still in the broker: the checker owes them (I3),
// so an exporter whose state file forgets first lives fails this log.
func TestCheckOwesFirstLivesAcrossRestarts(t *testing.T) {
	if !HasStateFile() {
		t.Skip("the exporter under test keeps no state across restarts")
	}
	cycle := Op{Kind: OpCycle}
	ops := []Op{
		{Kind: OpCreateTopic, Topic: "tp0"}, {Kind: OpCreateTopic, Topic: "tp1"}, {Kind: OpCreateGroup, Group: "cg0"},
		{Kind: OpSubscribe, Group: "cg0", Topic: "tp0"}, {Kind: OpProduce, Topic: "tp0", N: 3}, {Kind: OpCatchUp, Group: "cg0"},
		cycle,
		{Kind: OpDeleteGroup, Group: "cg0", How: simbroker.ByAPI, Flag: true},
		cycle,
		{Kind: OpCreateGroup, Group: "cg0"},
		{Kind: OpSubscribe, Group: "cg0", Topic: "tp1"}, {Kind: OpProduce, Topic: "tp1", N: 3}, {Kind: OpCatchUp, Group: "cg0"},
		cycle,
		{Kind: OpRestartExporter},
		cycle, cycle,
		{Kind: OpDeleteGroup, Group: "cg0", How: simbroker.ByAPI, Flag: true},
		cycle,
	}
	cfg := Config{Seed: -1, Version: "4.9.7", Brokers: 1, Namesrvs: 1, Cycles: 6}
	res := Run(cfg, ops, Options{Dir: t.TempDir(), Logf: t.Logf})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	for _, v := range res.Violations {
		t.Errorf("%s", v)
	}
}
