package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
)

// TestTwinClustersNeverMerge watches two real namesrv+broker pairs whose
// cluster and broker names are equal (RocketMQ's defaults), each holding a
// topic of the same name with a different number of messages. Each gets
// its own series under its target; when one broker is killed its
// rocketmq_up 0 is its own series while the other's stays 1 with its
// topic's offset still what was produced to it.
func TestTwinClustersNeverMerge(t *testing.T) {
	needBroker(t)
	ctx := ctxT(t, 8*time.Minute)
	twin, err := realbroker.Start(ctx, realbroker.Options{ClusterName: cluster.ClusterName, BrokerName: cluster.BrokerName})
	if err != nil {
		t.Fatal(err)
	}
	defer twin.Stop()
	topic := unique("e2e-twin")
	const here, there = 12, 5 // messages produced to each twin's topic
	for _, c := range []struct {
		rc *realbroker.Cluster
		n  int
	}{{cluster, here}, {twin, there}} {
		if _, err := c.rc.MQAdmin(ctx, "updateTopic", "-b", c.rc.BrokerAddr, "-t", topic); err != nil {
			t.Fatal(err)
		}
		if err := workload.Produce(ctx, c.rc.NamesrvAddr, topic, c.n); err != nil {
			t.Fatal(err)
		}
	}

	// A long grace keeps the killed broker's series (with up 0) in view
	// for as long as the test looks.
	a, _ := newApp(t, func(s *app.Settings) { s.Grace = 100; s.Timeout = time.Second },
		"here="+cluster.NamesrvAddr, "twin="+twin.NamesrvAddr)
	named := map[string]string{"cluster": cluster.ClusterName, "broker": cluster.BrokerName, "broker_id": "0"}
	on := func(target string, kv ...string) map[string]string {
		out := map[string]string{"target": target}
		for k, v := range named {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	putOf := func(target string) map[string]string {
		l := on(target, "topic", topic)
		delete(l, "broker_id")
		return l
	}
	waitMetrics(t, a, 2*time.Minute, "both twins served apart", func(m Metrics) error {
		if n := len(m.Series("rocketmq_up", named)); n != 2 {
			return fmt.Errorf("rocketmq_up%v: %d series, want one per twin", named, n)
		}
		return firstErr(
			expect(m, "rocketmq_up", on("here"), 1),
			expect(m, "rocketmq_up", on("twin"), 1),
			expect(m, "rocketmq_topic_messages_put_total", putOf("here"), here),
			expect(m, "rocketmq_topic_messages_put_total", putOf("twin"), there),
		)
	})

	if err := twin.KillBroker(); err != nil {
		t.Fatal(err)
	}
	waitMetrics(t, a, 2*time.Minute, "the killed twin down on its own series, the other intact", func(m Metrics) error {
		if n := len(m.Series("rocketmq_up", named)); n != 2 {
			return fmt.Errorf("rocketmq_up%v: %d series, want one per twin", named, n)
		}
		return firstErr(
			expect(m, "rocketmq_up", on("twin"), 0),
			expect(m, "rocketmq_up", on("here"), 1),
			expect(m, "rocketmq_broker_stale", on("here"), 0),
			expect(m, "rocketmq_topic_messages_put_total", putOf("here"), here),
			// The killed twin's last data is served as stale under its own
			// target, never mixed into the live one's.
			expect(m, "rocketmq_broker_stale", on("twin"), 1),
			expect(m, "rocketmq_topic_messages_put_total", putOf("twin"), there),
		)
	})
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
