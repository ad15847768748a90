package poller_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/poller"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// startSim starts a simulated cluster for the test.
var startSim = exportertest.Sim

// newPoller builds a poller over targets with generous deadlines; mod may
// change its config.
func newPoller(t *testing.T, targets [][]string, log *slog.Logger, mod func(*poller.Config)) *poller.Poller {
	t.Helper()
	rc := remoting.NewClient(remoting.Options{DialTimeout: 2 * time.Second})
	t.Cleanup(func() { rc.Close() })
	cfg := poller.DefaultConfig()
	cfg.Targets, cfg.Interval, cfg.CycleTimeout, cfg.Logger = targets, time.Minute, 30*time.Second, log
	// Every group and topic asked every cycle, no grace: the tests count on it.
	cfg.OfflineRefreshCycles, cfg.IdleTopicRefreshCycles, cfg.GraceCycles = 1, 0, 0
	if mod != nil {
		mod(&cfg)
	}
	p, err := poller.New(cfg, admin.New(rc), nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// master runs one cycle and returns the snapshot and its first master.
func master(t *testing.T, p *poller.Poller) (*snapshot.Snapshot, *snapshot.Broker) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := p.Cycle(ctx)
	for _, b := range s.Brokers {
		if b.IsMaster() {
			if !b.Up {
				t.Fatalf("cycle %d: %s down: %s", s.Seq, b.Name, b.Err)
			}
			return s, b
		}
	}
	t.Fatalf("cycle %d: no master", s.Seq)
	return nil, nil
}
