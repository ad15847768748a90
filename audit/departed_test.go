package audit

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// retryTopicOnAKilledMaster builds the case of both tests below: group
// billing lives on two masters with its %RETRY% topic; broker-1 is killed
// (out of the namesrv, its topics kept for its restart) and billing is
// deleted on broker-0 by the admin API, which leaves %RETRY%billing there
// as a leftover. `mqadmin deleteTopic -c` is then wrong: run after
// broker-1's restart, it deletes broker-1's live retry topic. kill runs
// just before broker-1 is killed.
func retryTopicOnAKilledMaster(t *testing.T, kill func(c *simbroker.Cluster)) *simbroker.Cluster {
	t.Helper()
	c := exportertest.Sim(t, simbroker.Options{Brokers: 2, Version: "4.9.7"})
	must := func(ok bool, err error) {
		t.Helper()
		if err != nil || !ok {
			t.Fatalf("simulator refused: %v %v", ok, err)
		}
	}
	for b := range 2 {
		must(c.CreateGroup(b, "billing"))
		must(c.SetClients(b, "billing", 1)) // online: its %RETRY%billing topic exists
	}
	kill(c)
	if err := c.Kill(1); err != nil {
		t.Fatal(err)
	}
	must(c.SetClients(0, "billing", 0))
	must(c.DeleteGroup(0, "billing", simbroker.ByAPI, true))
	for _, v := range c.Oracle() {
		if v.Name == "broker-1" && (v.Up || !slices.Contains(v.Topics, "%RETRY%billing")) {
			t.Fatalf("the simulator's broker-1 (up %v) does not hold %%RETRY%%billing while down: the test proves nothing", v.Up)
		}
	}
	return c
}

// noClusterWideDelete fails on a cluster-wide deletion of
// %RETRY%billing, and when broker-0 neither reports it as a leftover nor
// says why it is not deleted.
func noClusterWideDelete(t *testing.T, reports []Report) {
	t.Helper()
	leftover, said := false, false
	for _, r := range reports {
		leftover = leftover || (r.Broker == "broker-0" && slices.Contains(r.LeftoverTopics, "%RETRY%billing"))
		for _, cmd := range r.Commands {
			if strings.HasPrefix(cmd, "mqadmin deleteTopic") && strings.Contains(cmd, "'%RETRY%billing'") {
				t.Errorf("%s: audit prints %q while broker-1, which holds it, is down", r.Broker, cmd)
			}
			said = said || (strings.HasPrefix(cmd, "#") && strings.Contains(cmd, "broker-1"))
		}
	}
	if !leftover || !said {
		t.Errorf("broker-0's leftover %%RETRY%%billing reported %v, reason naming broker-1 given %v: %+v", leftover, said, reports)
	}
}

// TestNoClusterWideDeleteWhileAForgottenMasterIsDown: beside a running
// exporter that has let the killed master go (past its grace cycles, so
// its snapshot no longer has it), audit still knows the master is missing.
func TestNoClusterWideDeleteWhileAForgottenMasterIsDown(t *testing.T) {
	var a *app.App
	retryTopicOnAKilledMaster(t, func(c *simbroker.Cluster) {
		a = exportertest.App(t, exportertest.Settings(c.Namesrv.Addr))
		a.Cycle(context.Background())
	})
	s := a.Core.Settings
	for range s.Grace + 2 {
		a.Cycle(context.Background())
	}
	for _, b := range a.Poller.Snapshot().Brokers {
		if b.Name == "broker-1" {
			t.Fatalf("the exporter still serves broker-1 %d cycles after its kill: the test proves nothing", s.Grace+2)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reports, _ := Run(ctx, a.Core, a.Poller.Snapshot())
	noClusterWideDelete(t, reports)
}

// TestNoClusterWideDeleteWhileAMasterOfTheStateFileIsDown: a standalone
// audit (no running exporter) reading the state file of an exporter that
// saw broker-1 knows broker-1 is missing.
func TestNoClusterWideDeleteWhileAMasterOfTheStateFileIsDown(t *testing.T) {
	var s app.Settings
	retryTopicOnAKilledMaster(t, func(c *simbroker.Cluster) {
		s = exportertest.Settings(c.Namesrv.Addr)
		s.StateFile = filepath.Join(t.TempDir(), "state.json")
		daemon := exportertest.App(t, s)
		daemon.Cycle(context.Background())
		daemon.Poller.SaveState()
	})
	standalone := exportertest.App(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reports, _ := Run(ctx, standalone.Core, nil)
	noClusterWideDelete(t, reports)
}
