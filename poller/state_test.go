package poller_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/history"
	"github.com/rocketmq-exporter/rocketmq_exporter/leak"
	"github.com/rocketmq-exporter/rocketmq_exporter/poller"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// slowHistory answers Recall only once released, as a Prometheus far away
// would.
type slowHistory struct {
	release chan struct{}
	names   map[history.Broker]history.Names
}

func (s *slowHistory) Recall(ctx context.Context) (map[history.Broker]history.Names, error) {
	select {
	case <-s.release:
		return s.names, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestStateFileNotClobberedBeforeRecall: a restarted exporter must not
// overwrite the state file the last process left before it has read it
// back, even when its first cycles learn deletions of their own; once read,
// the file keeps the old names and adds the new ones.
func TestStateFileNotClobberedBeforeRecall(t *testing.T) {
	c := startSim(t, simbroker.Options{Version: "4.9.7"})
	for _, step := range []func() (bool, error){
		func() (bool, error) { return c.CreateTopic(0, "kept", 2) },
		func() (bool, error) { return c.CreateGroup(0, "gone-g") },
		func() (bool, error) { return c.Subscribe(0, "gone-g", "kept") },
		func() (bool, error) { return c.Produce(0, "kept", 2) },
		func() (bool, error) { return c.CatchUp(0, "gone-g") },
		// Offsets kept: every cycle derives the deletion, a new tombstone.
		func() (bool, error) { return c.DeleteGroup(0, "gone-g", simbroker.ByAPI, false) },
	} {
		if ok, err := step(); !ok || err != nil {
			t.Fatalf("simulator refused: %v %v", ok, err)
		}
	}
	path := t.TempDir() + "/state.json"
	old := `{"version":1,"brokers":[{"cluster":"SimCluster","broker":"broker-0","topics":["deleted-while-down"]}]}`
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := history.NewFile(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	slow := &slowHistory{release: make(chan struct{})}
	slow.names, err = file.Recall(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	planner, err := leak.New(leak.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	p := newPoller(t, [][]string{{c.Namesrv.Addr}}, nil, func(cfg *poller.Config) {
		cfg.Leaks, cfg.History, cfg.State = planner, slow, file
		cfg.CallTimeout = 300 * time.Millisecond // what the first cycle waits for the recall
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 3 {
		p.Cycle(ctx)
	}
	p.SaveState()
	if raw, _ := os.ReadFile(path); !strings.Contains(string(raw), "deleted-while-down") {
		t.Fatalf("the state file lost what the last process knew before it was read back: %s", raw)
	}
	close(slow.release)
	// The answer reaches the poller from another goroutine: the first
	// cycle after it arrives takes it (bounded by cycles, not by time).
	var raw []byte
	for i := 0; i < 200 && !strings.Contains(string(raw), `"gone-g"`); i++ {
		p.Cycle(ctx)
		raw, _ = os.ReadFile(path)
	}
	for _, name := range []string{"deleted-while-down", "gone-g"} {
		if !strings.Contains(string(raw), `"`+name+`"`) {
			t.Errorf("state file after the recall lacks %s: %s", name, raw)
		}
	}
}
