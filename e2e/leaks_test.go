package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// leakRow is what one broker configuration leaves after the scenario.
type leakRow struct {
	version, autoDelete string
	byStats             map[string]int // leaked stat items by stats name
	leftovers           []string
	orphans             int
}

func (r leakRow) String() string {
	var parts []string
	names := make([]string, 0, len(r.byStats))
	for n := range r.byStats {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, r.byStats[n]))
	}
	if len(parts) == 0 {
		parts = []string{"none"}
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %d |", r.version, r.autoDelete, strings.Join(parts, ", "),
		strings.Join(r.leftovers, ", "), r.orphans)
}

// leakScenario runs on c: a topic with traffic, a group that consumes it
// and a group whose consumer fails every message into its DLQ; then the
// topic and both groups are deleted (offsets cleaned) and the exporter
// reports what the broker still holds for them.
func leakScenario(t *testing.T, ctx context.Context, c *realbroker.Cluster) leakRow {
	t.Helper()
	adm := newAdmin(t)
	topic, ok, bad := unique("lm-t"), unique("GID_lm-ok"), unique("GID_lm-bad")
	if err := adm.CreateTopic(ctx, c.BrokerAddr, admin.TopicConfig{TopicName: topic, ReadQueueNums: 2}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{ok, bad} {
		if err := adm.CreateSubscriptionGroup(ctx, c.BrokerAddr, brokeradmin.NewGroupConfig(g)); err != nil {
			t.Fatal(err)
		}
	}
	if err := adm.WaitRoute(ctx, c.NamesrvAddr, topic); err != nil {
		t.Fatal(err)
	}
	if err := workload.Produce(ctx, c.NamesrvAddr, topic, 6); err != nil {
		t.Fatal(err)
	}
	if err := workload.ConsumeAll(ctx, c.NamesrvAddr, ok, topic, 6); err != nil {
		t.Fatal(err)
	}
	fc, err := workload.NewFailingConsumer(c.NamesrvAddr, bad, topic)
	if err != nil {
		t.Fatal(err)
	}
	dlq := snapshot.DLQPrefix + bad
	eventually := func(what string, f func() bool) {
		deadline := time.Now().Add(90 * time.Second)
		for !f() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not reached", what)
			}
			time.Sleep(time.Second)
		}
	}
	eventually("messages in the DLQ", func() bool {
		ts, err := adm.TopicStats(ctx, c.BrokerAddr, dlq)
		if err != nil {
			return false
		}
		var n int64
		for _, q := range ts.Queues {
			n += q.MaxOffset
		}
		return n >= 6
	})
	fc.Close()

	a, _ := newApp(t, func(s *app.Settings) { s.LeakProbes = 500 }, c.NamesrvAddr)
	a.Cycle(ctx)
	if err := adm.DeleteTopicInBroker(ctx, c.BrokerAddr, topic); err != nil {
		t.Fatal(err)
	}
	if err := adm.DeleteTopicInNamesrv(ctx, c.NamesrvAddr, topic, ""); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{ok, bad} {
		if err := adm.DeleteSubscriptionGroup(ctx, c.BrokerAddr, g, true); err != nil {
			t.Fatal(err)
		}
	}
	a.Cycle(ctx)
	a.Cycle(ctx)
	b := brokerOf(a.Poller.Snapshot(), c)
	if b == nil || b.Leaks == nil {
		t.Fatal("no leak report")
	}
	row := leakRow{version: c.Version, autoDelete: b.Config["autoDeleteUnusedStats"], byStats: map[string]int{}}
	for _, subject := range []string{topic, ok, bad, snapshot.RetryPrefix + ok, snapshot.RetryPrefix + bad, dlq} {
		for _, it := range leaksOf(b, subject) {
			row.byStats[it.Stats]++
		}
	}
	for _, l := range b.Leaks.LeftoverTopics {
		if strings.HasSuffix(l, ok) || strings.HasSuffix(l, bad) {
			row.leftovers = append(row.leftovers, strings.NewReplacer(ok, "<ok-group>", bad, "<failing-group>").Replace(l))
		}
	}
	sort.Strings(row.leftovers)
	for _, o := range b.Leaks.OrphanedOffsets {
		if o.Topic == topic || o.Group == ok || o.Group == bad {
			row.orphans++
		}
	}
	return row
}

// TestLeakMatrix measures what deleting a topic and groups with traffic
// leaves in a broker. By default it runs on the package's broker; with
// LEAK_MATRIX=1 it runs every supported version with autoDeleteUnusedStats
// on and off (the rows of docs/leaks.md).
func TestLeakMatrix(t *testing.T) {
	needBroker(t)
	type combo struct {
		version string
		conf    []string
	}
	combos := []combo{{"", nil}}
	if os.Getenv("LEAK_MATRIX") != "" {
		combos = nil
		for _, v := range realbroker.SupportedVersions {
			for _, on := range []string{"true", "false"} {
				combos = append(combos, combo{v, []string{"autoDeleteUnusedStats=" + on}})
			}
		}
	}
	var rows []string
	for _, cb := range combos {
		name := "package-broker"
		if cb.version != "" {
			name = cb.version + "/" + strings.Join(cb.conf, ",")
		}
		t.Run(name, func(t *testing.T) {
			ctx := ctxT(t, 5*time.Minute)
			c := cluster
			if cb.version != "" {
				var err error
				c, err = realbroker.Start(ctx, realbroker.Options{Version: cb.version, BrokerConf: cb.conf})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Stop()
			}
			row := leakScenario(t, ctx, c)
			t.Log(row.String())
			rows = append(rows, row.String())
			// The broker's own %RETRY%/%DLQ% topics outlive a group deletion
			// on every version.
			if !slices.Contains(row.leftovers, "%DLQ%<failing-group>") {
				t.Errorf("leftover topics %v lack the failing group's DLQ", row.leftovers)
			}
			switch {
			case row.autoDelete == "false":
				if row.byStats["TOPIC_PUT_NUMS"] == 0 || row.byStats["GROUP_GET_NUMS"] == 0 {
					t.Errorf("cleanup off: expected TOPIC_PUT_NUMS and GROUP_GET_NUMS leaks, got %v", row.byStats)
				}
			case row.autoDelete == "true":
				for _, cleaned := range []string{"TOPIC_PUT_NUMS", "TOPIC_PUT_SIZE", "GROUP_GET_NUMS", "GROUP_GET_SIZE"} {
					if row.byStats[cleaned] > 0 {
						t.Errorf("cleanup on: %s should be cleaned, %d reported leaked", cleaned, row.byStats[cleaned])
					}
				}
				if strings.HasPrefix(row.version, "5.") && row.byStats["SNDBCK2DLQ_TIMES"] == 0 {
					t.Errorf("cleanup on (5.x): SNDBCK2DLQ_TIMES is never cleaned and should be reported, got %v", row.byStats)
				}
			default:
				// Every supported version states the setting; without it
				// neither expectation above was checked.
				t.Errorf("the exporter read autoDeleteUnusedStats = %q from the broker's config, want true or false", row.autoDelete)
			}
		})
	}
	if out := os.Getenv("LEAK_MATRIX_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
			t.Error(err)
		}
	}
}
