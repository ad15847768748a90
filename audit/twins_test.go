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

// TestCleanupCommandsNameTheirTarget: two targets whose clusters and
// brokers have the same names each leave a deleted group's offsets and
// retry topic behind; every command audit prints for a broker sends it to
// that broker's own namesrv, never to the twin's.
func TestCleanupCommandsNameTheirTarget(t *testing.T) {
	nsOf := map[string]string{} // broker address -> its cluster's namesrv
	var namesrvs []string
	for range 2 {
		c := exportertest.Sim(t, simbroker.Options{Cluster: "DefaultCluster", Topics: 2, Groups: 2, OnlineEvery: 1})
		nsOf[c.Brokers[0].Addr()] = c.Namesrv.Addr
		namesrvs = append(namesrvs, c.Namesrv.Addr)
	}
	a := exportertest.App(t, exportertest.Settings("east="+namesrvs[0], "west="+namesrvs[1]))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// Delete one group per broker the way mqadmin deleteSubGroup does by
	// default: its offsets and its retry topic stay.
	deleted := 0
	for _, b := range a.Cycle(ctx).Brokers {
		for _, g := range b.Groups {
			if g.Online && strings.HasPrefix(g.Name, "sim-group") {
				if err := brokeradmin.New(a.Remoting).DeleteSubscriptionGroup(ctx, b.Addr, g.Name, false); err != nil {
					t.Fatal(err)
				}
				deleted++
				break
			}
		}
	}
	if deleted != 2 {
		t.Fatalf("deleted a group on %d brokers, want 2", deleted)
	}

	reports, code := Run(ctx, a.Core, a.Poller.Snapshot())
	if code != Leftovers {
		t.Fatalf("audit exit %d, want %d (leftovers): %+v", code, Leftovers, reports)
	}
	commanded := 0
	for _, r := range reports {
		own := nsOf[r.Addr]
		if own == "" {
			t.Fatalf("report for %q, which is no simulated broker", r.Addr)
		}
		n := 0
		for _, c := range r.Commands {
			if strings.HasPrefix(c, "#") {
				continue // a note, not a command
			}
			n++
			if !strings.Contains(c, "-n '"+own+"'") {
				t.Errorf("broker %s (namesrv %s): command %q names another namesrv", r.Addr, own, c)
			}
		}
		if n == 0 {
			t.Errorf("broker %s: no cleanup command for its deleted group: %+v", r.Addr, r)
		} else {
			commanded++
		}
	}
	if commanded != 2 {
		t.Errorf("commands for %d brokers, want 2", commanded)
	}
}
