package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
)

// popScene is a 5.x application's traffic through a rocketmq-proxy: a
// topic, a SimpleConsumer group (it pops) and a PushConsumer group (its
// client pops too), on the cluster's broker.
type popScene struct {
	proxy                 *realbroker.Proxy
	client                *realbroker.GRPCClient
	topic, simple, push   string
	produced, acked, kept int64
	producedFrom          time.Time // before the first message was sent
	producedBy            time.Time // after the last one was stored
}

const (
	popProduced = 20 // messages the producer sends
	popAcked    = 6  // the SimpleConsumer acks these
	popKept     = 5  // and holds these unacknowledged
)

// startPOPScene starts a proxy and a gRPC client application, creates the
// topic and groups on the broker (as mqadmin updateTopic/updateSubGroup
// do) and waits until the namesrv routes the topic.
func startPOPScene(t *testing.T, ctx context.Context, adm *brokeradmin.Client) *popScene {
	t.Helper()
	px, err := cluster.StartProxy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(px.Stop)
	cl, err := px.StartClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	s := &popScene{proxy: px, client: cl, topic: unique("e2e-pop")}
	s.simple, s.push = "GID_"+s.topic+"-simple", "GID_"+s.topic+"-push"
	if err := adm.CreateTopic(ctx, cluster.BrokerAddr, admin.TopicConfig{TopicName: s.topic, ReadQueueNums: 2}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{s.simple, s.push} {
		if err := adm.CreateSubscriptionGroup(ctx, cluster.BrokerAddr, brokeradmin.NewGroupConfig(g)); err != nil {
			t.Fatal(err)
		}
	}
	edgeUntil(t, ctx, 2*time.Minute, "route of "+s.topic, func() error {
		_, err := adm.TopicRoute(ctx, cluster.NamesrvAddr, s.topic)
		return err
	})
	return s
}

// do runs one client command and fails the test on an error.
func (s *popScene) do(t *testing.T, ctx context.Context, args ...string) int64 {
	t.Helper()
	n, err := s.client.Do(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// traffic produces, lets the PushConsumer take everything and the
// SimpleConsumer ack popAcked and keep popKept, in that order.
func (s *popScene) traffic(t *testing.T, ctx context.Context) {
	t.Helper()
	s.producedFrom = time.Now()
	s.produced = s.do(t, ctx, "produce", s.topic, strconv.Itoa(popProduced))
	s.producedBy = time.Now()
	s.do(t, ctx, "push", s.push, s.topic)
	s.do(t, ctx, "simple", s.simple, s.topic)
	edgeUntil(t, ctx, 3*time.Minute, "the PushConsumer consumed everything", func() error {
		if n := s.do(t, ctx, "consumed", s.push); n < s.produced {
			return fmt.Errorf("%d of %d consumed", n, s.produced)
		}
		return nil
	})
	s.acked = s.receive(t, ctx, popAcked, "ack")
	s.kept = s.receive(t, ctx, popKept, "keep")
}

// receive pops until n messages came, acking or keeping them (kept ones
// stay invisible for 5 minutes: in flight for the rest of the test).
func (s *popScene) receive(t *testing.T, ctx context.Context, n int64, mode string) int64 {
	t.Helper()
	var got int64
	edgeUntil(t, ctx, 2*time.Minute, "SimpleConsumer "+mode, func() error {
		got += s.do(t, ctx, "receive", s.simple, strconv.FormatInt(n-got, 10), "300", mode)
		if got < n {
			return fmt.Errorf("received %d of %d", got, n)
		}
		return nil
	})
	return got
}

// progress is what mqadmin consumerProgress -g G -t T prints.
type progress struct {
	consumerOffsets, diff, inflight int64
}

var (
	progressRow   = regexp.MustCompile(`(?m)^(\S+)\s+\S+\s+\d+\s+(\d+)\s+(\d+)\s+(-?\d+)\s+(-?\d+)\s`)
	progressTotal = regexp.MustCompile(`Consume (Diff|Inflight) Total: (-?\d+)`)
)

func consumerProgress(t *testing.T, ctx context.Context, group, topic string) progress {
	t.Helper()
	out, err := cluster.MQAdmin(ctx, "consumerProgress", "-g", group, "-t", topic)
	if err != nil {
		t.Fatal(err)
	}
	var p progress
	for _, m := range progressRow.FindAllStringSubmatch(out, -1) {
		co, _ := strconv.ParseInt(m[3], 10, 64)
		p.consumerOffsets += co
	}
	totals := progressTotal.FindAllStringSubmatch(out, -1)
	if len(totals) != 2 {
		t.Fatalf("mqadmin consumerProgress -g %s -t %s printed no totals:\n%s", group, topic, out)
	}
	p.diff, _ = strconv.ParseInt(totals[0][2], 10, 64)
	p.inflight, _ = strconv.ParseInt(totals[1][2], 10, 64)
	return p
}

// connectedClients is the client ids mqadmin consumerConnection -b addr
// lists for group, or the error it printed.
func connectedClients(ctx context.Context, addr, group string) ([]string, error) {
	out, err := cluster.MQAdmin(ctx, "consumerConnection", "-g", group, "-b", addr)
	if err != nil {
		return nil, err
	}
	var ids []string
	rows, _, _ := strings.Cut(out, "Below is subscription")
	for _, line := range strings.Split(rows, "\n") {
		if f := strings.Fields(line); len(f) >= 4 && !strings.HasPrefix(f[0], "#") {
			ids = append(ids, f[0])
		}
	}
	return ids, nil
}

// TestPOPThroughTheProxy runs a 5.x application as 5.x applications run:
// gRPC clients through a rocketmq-proxy in cluster mode, a SimpleConsumer
// and a PushConsumer, both consuming by POP. It holds the exporter to what
// mqadmin prints for the same groups (consumerProgress for offsets and
// lag, consumerConnection against the proxy and the broker for clients),
// and to what the application itself did where mqadmin cannot know.
func TestPOPThroughTheProxy(t *testing.T) {
	// Parallel: it starts its own processes and spends most of its time
	// waiting (broker starts, alert windows), which other tests can fill.
	t.Parallel()
	needBroker(t)
	if strings.HasPrefix(cluster.Version, "4.") {
		t.Skipf("RocketMQ %s has neither a proxy nor POP", cluster.Version)
	}
	ctx := ctxT(t, 12*time.Minute)
	adm := newAdmin(t)
	s := startPOPScene(t, ctx, adm)
	s.traffic(t, ctx)
	viaBroker, _ := newApp(t, func(st *app.Settings) { st.MessageRates = true }, cluster.NamesrvAddr)
	viaProxy, _ := newApp(t, func(st *app.Settings) { st.MessageRates, st.Proxies = true, []string{s.proxy.RemotingAddr} }, cluster.NamesrvAddr)

	// First, while the broker's minute window still holds the acks.
	t.Run("acknowledgements", func(t *testing.T) { s.checkAcks(t, viaProxy) })
	t.Run("offsets and lag as mqadmin prints them", func(t *testing.T) { s.checkProgress(t, ctx, viaProxy) })
	t.Run("clients as the broker and the proxy list them", func(t *testing.T) { s.checkClients(t, ctx, viaBroker, viaProxy) })
	t.Run("unacknowledged messages come back as retry lag", func(t *testing.T) { s.checkRevive(t, ctx, adm, viaProxy) })
	t.Run("a consumer that leaves the proxy goes offline", func(t *testing.T) { s.checkLeave(t, ctx, viaProxy) })
}

func (s *popScene) labels(kv ...string) map[string]string {
	out := map[string]string{"cluster": cluster.ClusterName, "broker": cluster.BrokerName}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// checkProgress: the broker moves a POP group's consumer offset past what
// it hands out, acknowledged or not, so lag and mqadmin's Diff both leave
// the kept messages out, and mqadmin's Inflight says 0 although popKept
// messages are in flight (the application holds them).
func (s *popScene) checkProgress(t *testing.T, ctx context.Context, a *app.App) {
	waitFrom := time.Now()
	m := waitMetrics(t, a, 2*time.Minute, "POP offsets", func(m Metrics) error {
		return expect(m, "rocketmq_consumer_group_consumed_messages_total", s.labels("group", s.simple, "topic", s.topic), float64(s.acked+s.kept))
	})
	for _, g := range []struct {
		group         string
		consumed, lag int64
	}{{s.simple, s.acked + s.kept, s.produced - s.acked - s.kept}, {s.push, s.produced, 0}} {
		p := consumerProgress(t, ctx, g.group, s.topic)
		if p.consumerOffsets != g.consumed || p.diff != g.lag {
			t.Errorf("mqadmin: %s consumed %d, diff %d; the application consumed %d, left %d", g.group, p.consumerOffsets, p.diff, g.consumed, g.lag)
		}
		for _, err := range []error{
			expect(m, "rocketmq_consumer_group_consumed_messages_total", s.labels("group", g.group, "topic", s.topic), float64(p.consumerOffsets)),
			expect(m, "rocketmq_consumer_group_lag_messages", s.labels("group", g.group, "topic", s.topic), float64(p.diff)),
		} {
			if err != nil {
				t.Error(err)
			}
		}
		if p.inflight != 0 {
			t.Errorf("mqadmin: %s in flight %d; classic POP never records a pull offset, so it prints 0", g.group, p.inflight)
		}
	}
	// The oldest message not yet handed out was stored while producing.
	age, ok := m.Value("rocketmq_consumer_group_lag_seconds", s.labels("group", s.simple, "topic", s.topic))
	if lo, hi := waitFrom.Sub(s.producedBy).Seconds()-1, time.Since(s.producedFrom).Seconds()+1; !ok || age < lo || age > hi {
		t.Errorf("lag seconds of %s = %v (%v), want the age of a message stored while producing: in [%.0f, %.0f]", s.simple, age, ok, lo, hi)
	}
	if v, ok := m.Value("rocketmq_consumer_group_lag_seconds", s.labels("group", s.push, "topic", s.topic)); !ok || v != 0 {
		t.Errorf("lag seconds of %s = %v (%v), want 0: it consumed everything", s.push, v, ok)
	}
}

// checkClients: the broker does not know the proxy's gRPC clients (mqadmin
// against the broker says the group is not online); the proxy lists them,
// and the exporter shows them once it is told where the proxy is.
func (s *popScene) checkClients(t *testing.T, ctx context.Context, viaBroker, viaProxy *app.App) {
	for _, g := range []string{s.simple, s.push} {
		if ids, err := connectedClients(ctx, cluster.BrokerAddr, g); err == nil || !strings.Contains(err.Error(), "not online") {
			t.Errorf("mqadmin consumerConnection -b broker: %s lists %v (%v), want not online", g, ids, err)
		}
	}
	waitMetrics(t, viaBroker, time.Minute, "the broker's view", func(m Metrics) error {
		return expect(m, "rocketmq_consumer_group_online_consumers", s.labels("group", s.simple), 0)
	})
	want := map[string]string{s.simple: "CONSUME_ACTIVELY", s.push: "CONSUME_PASSIVELY"}
	m := waitMetrics(t, viaProxy, time.Minute, "the proxy's view", func(m Metrics) error {
		for g, typ := range want {
			if _, ok := m.Value("rocketmq_consumer_group_info", s.labels("group", g, "consume_type", typ)); !ok {
				return fmt.Errorf("%s: no group info with consume_type %s", g, typ)
			}
		}
		return nil
	})
	for g := range want {
		ids, err := connectedClients(ctx, s.proxy.RemotingAddr, g)
		if err != nil || len(ids) != 1 {
			t.Fatalf("mqadmin consumerConnection -b proxy: %s lists %v (%v), want the application's one client", g, ids, err)
		}
		for _, err := range []error{
			expect(m, "rocketmq_consumer_group_online_consumers", s.labels("group", g), 1),
			expect(m, "rocketmq_consumer_group_proxy_consumers", s.labels("group", g), 1),
			expect(m, "rocketmq_consumer_client_info", s.labels("group", g, "client_id", ids[0]), 1),
		} {
			if err != nil {
				t.Error(err)
			}
		}
	}
}

// checkAcks: the broker counts what POP consumers acknowledge; both groups
// acked within the last minute, so the rate is above zero while the
// window holds the acks.
func (s *popScene) checkAcks(t *testing.T, a *app.App) {
	waitMetrics(t, a, 2*time.Minute, "acknowledgement rates", func(m Metrics) error {
		for _, g := range []string{s.simple, s.push} {
			if v, ok := m.Value("rocketmq_consumer_group_ack_messages_per_second", s.labels("group", g, "topic", s.topic)); !ok || v <= 0 {
				return fmt.Errorf("%s: ack rate %v (%v), want > 0", g, v, ok)
			}
		}
		return nil
	})
}

// checkRevive: the kept messages are made visible again (as a failing
// consumer does), the broker moves them into the group's POP retry topic,
// and they show as retry lag, as mqadmin prints for that topic.
func (s *popScene) checkRevive(t *testing.T, ctx context.Context, adm *brokeradmin.Client, a *app.App) {
	if n := s.do(t, ctx, "nackkept", s.simple, "10"); n != s.kept {
		t.Fatalf("made %d messages visible again, kept %d", n, s.kept)
	}
	retry := "%RETRY%" + s.simple + "_" + s.topic
	m := waitMetrics(t, a, 3*time.Minute, "revived messages", func(m Metrics) error {
		return expect(m, "rocketmq_consumer_group_retry_lag_messages", s.labels("group", s.simple), float64(s.kept))
	})
	// The broker creates the retry topic when it revives the first message
	// and tells the namesrv at its next registration; mqadmin finds the
	// broker through the namesrv.
	edgeUntil(t, ctx, 2*time.Minute, "route of "+retry, func() error {
		_, err := adm.TopicRoute(ctx, cluster.NamesrvAddr, retry)
		return err
	})
	p := consumerProgress(t, ctx, s.simple, retry)
	if p.diff != s.kept {
		t.Errorf("mqadmin: %s has %d on %s, want the %d kept", s.simple, p.diff, retry, s.kept)
	}
	if err := expect(m, "rocketmq_consumer_group_lag_messages", s.labels("group", s.simple, "topic", retry), float64(p.diff)); err != nil {
		t.Error(err)
	}
}

// checkLeave: a closed consumer tells the proxy, which drops it.
func (s *popScene) checkLeave(t *testing.T, ctx context.Context, a *app.App) {
	s.do(t, ctx, "close", s.push)
	waitMetrics(t, a, time.Minute, "the push group offline", func(m Metrics) error {
		if err := expect(m, "rocketmq_consumer_group_online_consumers", s.labels("group", s.push), 0); err != nil {
			return err
		}
		return expect(m, "rocketmq_consumer_group_online_consumers", s.labels("group", s.simple), 1)
	})
}
