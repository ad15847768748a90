package audit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// TestNoClusterWideDeleteOfATopicLiveElsewhere: a group lives on two
// masters of one cluster and is deleted on one of them only, the way the
// admin API does (its %RETRY% topic stays there). That retry topic is a
// leftover on that broker, but `mqadmin deleteTopic -c` would delete the
// live retry topic on the other master too: audit must not print it.
func TestNoClusterWideDeleteOfATopicLiveElsewhere(t *testing.T) {
	c := exportertest.Sim(t, simbroker.Options{Brokers: 2, Version: "4.9.7"})
	must := func(ok bool, err error) {
		t.Helper()
		if err != nil || !ok {
			t.Fatalf("simulator refused: %v %v", ok, err)
		}
	}
	for b := range 2 {
		must(c.CreateTopic(b, "orders", 2))
		must(c.CreateGroup(b, "billing"))
		must(c.Subscribe(b, "billing", "orders"))
		must(c.SetClients(b, "billing", 1)) // online: its %RETRY%billing topic exists
	}
	must(c.SetClients(1, "billing", 0))
	must(c.DeleteGroup(1, "billing", simbroker.ByAPI, true))
	var live bool
	for _, v := range c.Oracle() {
		if v.Name == "broker-0" {
			for _, tp := range v.Topics {
				live = live || tp == "%RETRY%billing"
			}
		}
	}
	if !live {
		t.Fatal("the simulator has no live retry topic of billing on broker-0: the test proves nothing")
	}

	a := exportertest.App(t, exportertest.Settings(c.Namesrv.Addr))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reports, _ := Run(ctx, a.Core, a.Poller.Snapshot())
	leftover := false
	for _, r := range reports {
		for _, tp := range r.LeftoverTopics {
			leftover = leftover || (r.Broker == "broker-1" && tp == "%RETRY%billing")
		}
		for _, cmd := range r.Commands {
			if strings.HasPrefix(cmd, "mqadmin deleteTopic") && strings.Contains(cmd, "'%RETRY%billing'") {
				t.Errorf("%s: audit prints %q, which deletes broker-0's live retry topic too", r.Broker, cmd)
			}
		}
	}
	if !leftover {
		t.Errorf("%%RETRY%%billing on broker-1 is not reported as a leftover: %+v", reports)
	}
}

// TestCutPassSaysSo: an audit pass that ends before every key is asked
// (here: a slow broker and a short deadline) keeps what it found but says
// it is incomplete and exits Failed, never Clean.
func TestCutPassSaysSo(t *testing.T) {
	c := exportertest.Sim(t, simbroker.Options{Version: "4.9.7", Topics: 30, Groups: 60, OnlineEvery: 1, ActiveEvery: 1})
	c.Tick()
	a := exportertest.App(t, exportertest.Settings(c.Namesrv.Addr))
	// Deleted with their offsets kept: a fresh pass derives 60 deleted
	// groups from the offsets, each with a dozen keys to ask: 700 calls
	// of 100 ms, 16 at a time, do not fit in 3 s.
	for _, b := range a.Cycle(context.Background()).Brokers {
		for _, g := range b.Groups {
			if strings.HasPrefix(g.Name, "sim-group") {
				if err := brokeradmin.New(a.Remoting).DeleteSubscriptionGroup(context.Background(), b.Addr, g.Name, false); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	c.Brokers[0].Master.SetFault(simbroker.Fault{Latency: 100 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	reports, code := Run(ctx, a.Core, a.Poller.Snapshot())
	if code != Failed {
		t.Errorf("exit %d after a cut pass, want %d", code, Failed)
	}
	said := false
	for _, r := range reports {
		if r.Error != "" {
			t.Fatalf("the listings did not answer in time (%s): the test proves nothing; lower the latency", r.Error)
		}
		said = said || r.Incomplete != ""
	}
	if !said {
		t.Errorf("no report says the pass was cut: %+v", reports)
	}
}
