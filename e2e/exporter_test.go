package e2e

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
)

var cluster *realbroker.Cluster

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() || os.Getenv("ROCKETMQ_SKIP_REAL") != "" {
		os.Exit(m.Run())
	}
	os.Exit(realbroker.Main(m, realbroker.Options{}, func(c *realbroker.Cluster) { cluster = c }))
}

func needBroker(t *testing.T) {
	t.Helper()
	if cluster == nil {
		t.Skip("no real broker (short mode or ROCKETMQ_SKIP_REAL)")
	}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// newApp assembles the exporter for namesrvs, logging into the returned buffer.
func newApp(t *testing.T, mod func(*app.Settings), namesrvs ...string) (*app.App, *lockedBuffer) {
	t.Helper()
	s := app.Defaults()
	s.Namesrvs = namesrvs
	s.Interval = 2 * time.Second
	s.CycleTimeout = 20 * time.Second
	if mod != nil {
		mod(&s)
	}
	logs := &lockedBuffer{}
	a, err := app.New(s, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, logs
}

func unique(prefix string) string {
	return fmt.Sprintf("%s-%d_%d", prefix, os.Getpid()%1000, time.Now().UnixNano()%1e6)
}

// waitMetrics runs cycles until check passes on a scrape.
func waitMetrics(t *testing.T, a *app.App, d time.Duration, what string, check func(Metrics) error) Metrics {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		a.Cycle(context.Background())
		m, _, err := Scrape(a.Handler)
		if err == nil {
			err = check(m)
		}
		if err == nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(time.Second)
	}
}

func expect(m Metrics, name string, labels map[string]string, want float64) error {
	v, ok := m.Value(name, labels)
	if !ok {
		return fmt.Errorf("%s%v: no single series", name, labels)
	}
	if v != want {
		return fmt.Errorf("%s%v = %v, want %v", name, labels, v, want)
	}
	return nil
}

// TestExactNumbers produces and consumes real messages and checks that
// /metrics shows exactly the offsets, lag and online consumers.
func TestExactNumbers(t *testing.T) {
	needBroker(t)
	ctx := ctxT(t, 5*time.Minute)
	const N, M = 25, 10
	ns := cluster.NamesrvAddr
	idle, live := unique("e2e-idle"), unique("e2e-live")
	gIdle, gLive := "GID_"+idle, "GID_"+live
	for _, topic := range []string{idle, live} {
		if _, err := cluster.MQAdmin(ctx, "updateTopic", "-b", cluster.BrokerAddr, "-t", topic, "-r", "2", "-w", "2"); err != nil {
			t.Fatal(err)
		}
	}
	// idle: M consumed then the consumer leaves, N-M more arrive -> lag N-M, 0 online.
	if err := workload.Produce(ctx, ns, idle, M); err != nil {
		t.Fatal(err)
	}
	if err := workload.ConsumeAll(ctx, ns, gIdle, idle, M); err != nil {
		t.Fatal(err)
	}
	if err := workload.Produce(ctx, ns, idle, N-M); err != nil {
		t.Fatal(err)
	}
	// live: a consumer stays online and keeps up.
	cons, err := workload.NewConsumer(ns, gLive, live)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	prod, err := workload.NewProducer(ns, "PID_"+live)
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	if err := prod.Send(ctx, live, N, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := cons.WaitFor(ctx, N); err != nil {
		t.Fatal(err)
	}

	a, _ := newApp(t, func(s *app.Settings) { s.Compat, s.MessageRates = true, true }, ns) // the Java families and the rates are checked too
	b := map[string]string{"cluster": cluster.ClusterName, "broker": cluster.BrokerName}
	with := func(kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range b {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	m := waitMetrics(t, a, time.Minute, "exact offsets and lag", func(m Metrics) error {
		for _, err := range []error{
			expect(m, "rocketmq_up", with("broker_id", "0"), 1),
			expect(m, "rocketmq_topic_messages_put_total", with("topic", idle), N),
			expect(m, "rocketmq_topic_messages_put_total", with("topic", live), N),
			expect(m, "rocketmq_consumer_group_lag_messages", with("group", gIdle, "topic", idle), N-M),
			expect(m, "rocketmq_consumer_group_consumed_messages_total", with("group", gIdle, "topic", idle), M),
			expect(m, "rocketmq_consumer_group_lag_messages", with("group", gLive, "topic", live), 0),
			expect(m, "rocketmq_consumer_group_online_consumers", with("group", gLive), 1),
			expect(m, "rocketmq_consumer_group_online_consumers", with("group", gIdle), 0),
			// The Java exporter's names, same numbers.
			expect(m, "rocketmq_group_diff", map[string]string{"group": gIdle, "topic": idle}, N-M),
			expect(m, "rocketmq_producer_offset", with("topic", idle), N),
			expect(m, "rocketmq_consumer_offset", with("topic", idle, "group", gIdle), M),
		} {
			if err != nil {
				return err
			}
		}
		return nil
	})
	lagSec, ok := m.Value("rocketmq_consumer_group_lag_seconds", with("group", gIdle, "topic", idle))
	if !ok || lagSec <= 0 || lagSec > 600 {
		t.Errorf("lag seconds of the idle group = %v (%v), want the age of its oldest unconsumed message", lagSec, ok)
	}
	if ms, ok := m.Value("rocketmq_group_get_latency_by_storetime", map[string]string{"group": gIdle, "topic": idle}); !ok || ms < lagSec*1000-5000 {
		t.Errorf("compat latency by store time = %v ms (%v), lag seconds %v", ms, ok, lagSec)
	}

	// Rates become non-zero while traffic flows.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			prod.Send(ctx, live, 5, []byte("rate"))
			time.Sleep(200 * time.Millisecond)
		}
	}()
	defer func() { close(stop); <-done }()
	waitMetrics(t, a, 90*time.Second, "rates while traffic flows", func(m Metrics) error {
		for _, f := range []struct {
			name   string
			labels map[string]string
		}{
			{"rocketmq_topic_put_messages_per_second", with("topic", live)},
			{"rocketmq_topic_put_bytes_per_second", with("topic", live)},
			{"rocketmq_consumer_group_get_messages_per_second", with("group", gLive, "topic", live)},
			{"rocketmq_producer_tps", with("topic", live)},
		} {
			v, ok := m.Value(f.name, f.labels)
			if !ok || v <= 0 {
				return fmt.Errorf("%s%v = %v (%v), want > 0", f.name, f.labels, v, ok)
			}
		}
		return nil
	})
}

// TestBrokerKilledMidRun kills one cluster's broker while the exporter
// runs: scrapes keep answering fast, that broker's up goes to 0 with the
// cause logged, the other cluster's data stays, and a restart brings the
// data back.
func TestBrokerKilledMidRun(t *testing.T) {
	needBroker(t)
	if cluster.External {
		t.Skip("needs a broker this test may kill")
	}
	ctx := ctxT(t, 8*time.Minute)
	other, err := realbroker.Start(ctx, realbroker.Options{ClusterName: "OtherCluster", BrokerName: "broker-b"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Stop()
	topicA, topicB := unique("e2e-keep"), unique("e2e-killed")
	if _, err := cluster.MQAdmin(ctx, "updateTopic", "-b", cluster.BrokerAddr, "-t", topicA); err != nil {
		t.Fatal(err)
	}
	if _, err := other.MQAdmin(ctx, "updateTopic", "-b", other.BrokerAddr, "-t", topicB); err != nil {
		t.Fatal(err)
	}
	a, logs := newApp(t, func(s *app.Settings) { s.Grace = 2; s.Timeout = time.Second }, cluster.NamesrvAddr, other.NamesrvAddr)
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	go a.Poller.Run(runCtx)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	client := srv.Client()
	// A scrape must never wait for a broker: one that did would wait for the
	// cycle (up to its 20 s deadline) while the broker is dead. 5 s tells
	// the two apart on a loaded machine, where 1 s did not.
	const scrapeBound = 5 * time.Second
	client.Timeout = scrapeBound

	upB := map[string]string{"cluster": "OtherCluster", "broker": "broker-b"}
	keepA := map[string]string{"cluster": cluster.ClusterName, "topic": topicA}
	killedB := map[string]string{"cluster": "OtherCluster", "topic": topicB}
	poll := func(what string, d time.Duration, ok func(Metrics) bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for {
			start := time.Now()
			m, err := ScrapeURL(client, srv.URL+"/metrics")
			if err != nil {
				t.Fatalf("scrape during %s: %v", what, err)
			}
			if took := time.Since(start); took > scrapeBound {
				t.Fatalf("scrape took %v during %s", took, what)
			}
			if ok(m) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not reached in %v", what, d)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	has := func(m Metrics, name string, l map[string]string) bool { return len(m.Series(name, l)) == 1 }
	poll("both clusters up", time.Minute, func(m Metrics) bool {
		v, _ := m.Value("rocketmq_up", upB)
		return v == 1 && has(m, "rocketmq_topic_info", keepA) && has(m, "rocketmq_topic_info", killedB)
	})

	if err := other.KillBroker(); err != nil {
		t.Fatal(err)
	}
	poll("killed broker reported down, other cluster intact", time.Minute, func(m Metrics) bool {
		v, ok := m.Value("rocketmq_up", upB)
		return ok && v == 0 && has(m, "rocketmq_topic_info", keepA)
	})
	if l := logs.String(); !(strings.Contains(l, "broker collection failed") || strings.Contains(l, "broker missing from this cycle")) || !strings.Contains(l, other.BrokerAddr) {
		t.Errorf("no log line names the failed broker %s:\n%s", other.BrokerAddr, tail(logs.String(), 20))
	}
	poll("past the grace period its series go, the other cluster's stay", time.Minute, func(m Metrics) bool {
		return !has(m, "rocketmq_topic_info", killedB) && has(m, "rocketmq_topic_info", keepA)
	})

	if err := other.StartBroker(ctx); err != nil {
		t.Fatal(err)
	}
	poll("restarted broker's data back", 2*time.Minute, func(m Metrics) bool {
		v, _ := m.Value("rocketmq_up", upB)
		return v == 1 && has(m, "rocketmq_topic_info", killedB) && has(m, "rocketmq_topic_info", keepA)
	})
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
