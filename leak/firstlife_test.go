package leak_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// TestFirstLifeOutlivesTheExporter: group g consumes t1 and is deleted
// (offsets and all); the exporter sees it, g comes back consuming t2 only,
// and the exporter saves its state and stops. A new process on the same
// state file then sees g deleted again: the 4.9.7 broker still holds the
// t1@g items of g's first life (nothing but a restart frees them, and no
// offset or leftover names them), so the new process, and an audit, must
// report them as the simulator holds them.
func TestFirstLifeOutlivesTheExporter(t *testing.T) { firstLifeAcrossARestart(t, false) }

// TestFirstLifeComesBackWhileNoExporterRuns is the same story with the
// exporter stopped between g's deletion and its re-creation: the new
// process never sees g deleted, only what the state file says of it.
func TestFirstLifeComesBackWhileNoExporterRuns(t *testing.T) { firstLifeAcrossARestart(t, true) }

func firstLifeAcrossARestart(t *testing.T, stopBeforeRecreation bool) {
	c := exportertest.Sim(t, simbroker.Options{Version: "4.9.7", Seed: 7})
	must := func(ok bool, err error) {
		t.Helper()
		if err != nil || !ok {
			t.Fatalf("simulator refused: %v %v", ok, err)
		}
	}
	live := func(group, topic string) {
		t.Helper()
		must(c.Subscribe(0, group, topic))
		must(c.Produce(0, topic, 3))
		must(c.CatchUp(0, group)) // the topic@group items exist from here
	}
	must(c.CreateTopic(0, "t1", 2))
	must(c.CreateTopic(0, "t2", 2))
	must(c.CreateGroup(0, "g"))
	live("g", "t1")

	s := exportertest.Settings(c.Namesrv.Addr)
	s.StateFile = filepath.Join(t.TempDir(), "state.json")
	ctx := context.Background()
	first := exportertest.App(t, s)
	first.Cycle(ctx)
	must(c.DeleteGroup(0, "g", simbroker.ByAPI, true))
	first.Cycle(ctx)
	if stopBeforeRecreation {
		first.Poller.SaveState()
		first.Close()
	}
	must(c.CreateGroup(0, "g"))
	live("g", "t2")
	if !stopBeforeRecreation {
		first.Cycle(ctx)
		first.Poller.SaveState()
		first.Close()
	}

	second := exportertest.App(t, s)
	second.Cycle(ctx) // reads the state file back while g lives
	second.Cycle(ctx)
	must(c.DeleteGroup(0, "g", simbroker.ByAPI, true))
	truth := truthKeys(c)
	if !slices.ContainsFunc(truth, func(k string) bool { return strings.HasSuffix(k, " t1@g") }) {
		t.Fatalf("the simulator holds no t1@g item after the second deletion (%v): the test proves nothing", truth)
	}
	var got []string
	for range 4 {
		second.Cycle(ctx)
		got = snapshotKeys(second)
	}
	if !slices.Equal(got, truth) {
		t.Errorf("the process started after g came back reports %v, the broker holds %v", got, truth)
	}

	second.Poller.SaveState()
	second.Close()
	actx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if reports, _ := auditAlone(actx, t, s); !slices.Equal(leakedKeys(reports), truth) {
		t.Errorf("audit after it reports %v, the broker holds %v", leakedKeys(reports), truth)
	}
}
