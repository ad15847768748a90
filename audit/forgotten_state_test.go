package audit

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// TestNoClusterWideDeleteAfterTheDaemonLetTheMasterGo: the daemon with a
// state file lets the killed broker-1 go after its grace cycles and saves
// its state; a standalone audit after it (the daemon restarted, or audit
// run as its own command) must still know broker-1 is missing: the state
// file keeps the masters it forgot.
func TestNoClusterWideDeleteAfterTheDaemonLetTheMasterGo(t *testing.T) {
	var s app.Settings
	var daemon *app.App
	retryTopicOnAKilledMaster(t, func(c *simbroker.Cluster) {
		s = exportertest.Settings(c.Namesrv.Addr)
		s.StateFile = filepath.Join(t.TempDir(), "state.json")
		daemon = exportertest.App(t, s)
		daemon.Cycle(context.Background())
	})
	for range s.Grace + 2 {
		daemon.Cycle(context.Background())
	}
	for _, b := range daemon.Poller.Snapshot().Brokers {
		if b.Name == "broker-1" {
			t.Fatalf("the daemon still serves broker-1 %d cycles after its kill: the test proves nothing", s.Grace+2)
		}
	}
	daemon.Poller.SaveState()
	standalone := exportertest.App(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reports, _ := Run(ctx, standalone.Core, nil)
	noClusterWideDelete(t, reports)
}
