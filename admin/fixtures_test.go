package admin_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting/remotingtest"
)

// fixtureServer answers every request with the recorded body of its code.
func fixtureServer(t *testing.T, dir string) string {
	return remotingtest.Serve(t, func(req *remoting.Command, _ string) *remoting.Command {
		body, err := os.ReadFile(filepath.Join(dir, remoting.RequestName(req.Code)+".json"))
		if err != nil {
			return &remoting.Command{Code: remoting.CodeSystemError, Remark: "no fixture"}
		}
		return &remoting.Command{Body: body}
	})
}

// TestGoldenFixtures decodes every body recorded from each real broker
// version with the same calls the exporter makes (and, through
// brokeradmin, the ones only tests make).
func TestGoldenFixtures(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "testdata", "fixtures", "*"))
	if len(dirs) == 0 {
		t.Fatal("no fixtures under testdata/fixtures")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			addr := fixtureServer(t, dir)
			a := brokeradmin.New(remoting.NewClient(remoting.Options{}))
			defer a.Remoting().Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			have := func(name string) bool {
				_, err := os.Stat(filepath.Join(dir, name+".json"))
				return err == nil
			}
			check := func(name string, err error, ok bool) {
				t.Helper()
				if !have(name) {
					t.Errorf("%s: no fixture recorded", name)
					return
				}
				if err != nil {
					t.Errorf("%s: %v", name, err)
				} else if !ok {
					t.Errorf("%s: decoded to nothing", name)
				}
			}
			ci, err := a.ClusterInfo(ctx, addr)
			check("GET_BROKER_CLUSTER_INFO", err, err == nil && len(ci.Instances()) > 0)
			tl, err := a.AllTopicList(ctx, addr)
			check("GET_ALL_TOPIC_LIST_FROM_NAMESERVER", err, len(tl) > 0)
			rd, err := a.TopicRoute(ctx, addr, "x")
			check("GET_ROUTEINFO_BY_TOPIC", err, err == nil && len(rd.QueueDatas) > 0 && len(rd.BrokerDatas) > 0)
			ri, err := a.BrokerRuntime(ctx, addr)
			check("GET_BROKER_RUNTIME_INFO", err, err == nil && ri.Table["bootTimestamp"] != "")
			tc, err := a.AllTopicConfig(ctx, addr)
			check("GET_ALL_TOPIC_CONFIG", err, err == nil && len(tc.TopicConfigTable) > 0)
			sg, err := a.AllSubscriptionGroups(ctx, addr)
			check("GET_ALL_SUBSCRIPTIONGROUP_CONFIG", err, err == nil && len(sg.SubscriptionGroupTable) > 0)
			v4 := isV4(filepath.Base(dir))
			ts, err := a.TopicStats(ctx, addr, "x")
			check("GET_TOPIC_STATS_INFO", err, err == nil && len(ts.Queues) > 0 && ts.Queues[0].Topic != "" && ts.HasTopicPutTps == !v4)
			cs, err := a.ConsumeStats(ctx, addr, "g", "x")
			check("GET_CONSUME_STATS", err, err == nil && len(cs.Queues) > 0 && cs.Queues[0].Topic != "")
			bcs, err := a.BrokerConsumeStats(ctx, addr, false)
			check("GET_BROKER_CONSUME_STATS", err, err == nil && len(bcs.Groups) > 0)
			sd, err := a.ViewBrokerStatsData(ctx, addr, "TOPIC_PUT_NUMS", "x")
			check("VIEW_BROKER_STATS_DATA", err, err == nil && (sd.StatsMinute.Sum > 0 || sd.StatsHour.Sum > 0 || sd.StatsDay.Sum > 0))
			cc, err := a.ConsumerConnections(ctx, addr, "g")
			check("GET_CONSUMER_CONNECTION_LIST", err, err == nil && len(cc.ConnectionSet) > 0)
			pt, err := a.AllProducerInfo(ctx, addr)
			check("GET_ALL_PRODUCER_INFO", err, err == nil && pt.Data != nil)
			who, err := a.QueryTopicConsumeByWho(ctx, addr, "x")
			check("QUERY_TOPIC_CONSUME_BY_WHO", err, len(who) > 0)
			spans, err := a.QueryConsumeTimeSpan(ctx, addr, "x", "g")
			check("QUERY_CONSUME_TIME_SPAN", err, len(spans) > 0 && spans[0].MessageQueue.Topic != "")
			offs, err := a.AllConsumerOffsets(ctx, addr)
			check("GET_ALL_CONSUMER_OFFSET", err, err == nil && len(offs.Entries) > 0)
			_, err = a.AllDelayOffsets(ctx, addr)
			check("GET_ALL_DELAY_OFFSET", err, true)
			cfg, err := a.BrokerConfig(ctx, addr)
			check("GET_BROKER_CONFIG", err, cfg["brokerName"] != "")
			// 4.x does not know QUERY_TOPICS_BY_CONSUMER: nothing to record.
			if v4 {
				if have("QUERY_TOPICS_BY_CONSUMER") {
					t.Error("QUERY_TOPICS_BY_CONSUMER recorded from a 4.x broker")
				}
			} else {
				tl, err := a.TopicsByConsumer(ctx, addr, "g")
				check("QUERY_TOPICS_BY_CONSUMER", err, len(tl) > 0)
			}
			if have("GET_CONSUMER_RUNNING_INFO") {
				ri, err := a.ConsumerRunningInfo(ctx, addr, "g", "c")
				check("GET_CONSUMER_RUNNING_INFO", err, err == nil && len(ri.StatusTable) > 0)
			}
		})
	}
}

// TestFixturesHaveNoStrictJSONAssumption guards the reason the normaliser
// exists: the recorded bodies really are not all standard JSON.
func TestFixturesHaveNoStrictJSONAssumption(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "fixtures", "5.3.3", "GET_CONSUME_STATS.json"))
	if err != nil {
		t.Fatal(err) // checked in: a missing one is a broken tree
	}
	if !strings.Contains(string(b), `{{"brokerName"`) && !strings.Contains(string(b), `,{"brokerName"`) {
		t.Fatalf("expected raw MessageQueue object keys in %s", b)
	}
}

// TestDecodeErrorsReported: a successful round trip with a body that does
// not parse reaches the OnDecodeError hook (the exporter counts it as an
// RPC error with code "decode") and the caller gets a DecodeError.
func TestDecodeErrorsReported(t *testing.T) {
	addr := remotingtest.Serve(t, func(*remoting.Command, string) *remoting.Command {
		return &remoting.Command{Body: []byte(`{"table":{`)}
	})
	rc := remoting.NewClient(remoting.Options{})
	defer rc.Close()
	a := admin.New(rc)
	var got []int
	a.OnDecodeError(func(code int) { got = append(got, code) })
	_, err := a.BrokerRuntime(context.Background(), addr)
	var de *admin.DecodeError
	if !errors.As(err, &de) || de.RequestCode != remoting.GetBrokerRuntimeInfo {
		t.Fatalf("got %v, want a DecodeError", err)
	}
	if len(got) != 1 || got[0] != remoting.GetBrokerRuntimeInfo {
		t.Fatalf("hook saw %v", got)
	}
}
