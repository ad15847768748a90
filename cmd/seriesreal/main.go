// Command seriesreal counts the series the exporter serves per family
// against a real RocketMQ broker (internal/realbroker, 5.3.3 by default) in
// the documented shape: 1,000 topics of 4 queues and 500 groups, group i
// consuming topic i, 10 groups online (rocketmq-client-go push consumers)
// and the others offline, 3 messages behind. Every family is switched on,
// so any flag set's total is a sum over this table; it prints the table
// right after the workload (put and consume rates still inside the
// broker's minute windows) and in steady state, after the poller's 70 s
// activity window. collector/series_test.go holds the simulator to the
// same shape; this is the real broker's word on it.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/estate"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

func main() {
	version := flag.String("version", "", "RocketMQ version (default $ROCKETMQ_VERSION, else 5.3.3)")
	topics := flag.Int("topics", 1000, "topics")
	groups := flag.Int("groups", 500, "groups; group i consumes topic i")
	online := flag.Int("online", 10, "groups with a live consumer")
	steady := flag.Duration("steady", 80*time.Second, "second count after this long (the poller's 70 s activity window)")
	flag.Parse()
	workload.Quiet()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { <-sig; cancel() }()

	c, err := realbroker.Start(ctx, realbroker.Options{Version: *version, Logf: func(f string, a ...any) {
		fmt.Fprintf(os.Stderr, f+"\n", a...)
	}})
	if err != nil {
		fail(err)
	}
	defer c.Stop()
	adm := brokeradmin.New(remoting.NewClient(remoting.Options{}))
	defer adm.Remoting().Close()
	est := &estate.Estate{Namesrv: c.NamesrvAddr, Broker: c.BrokerAddr, Admin: adm, Queues: 4, Lag: 3}
	defer est.Close()
	if err := est.Grow(ctx, *topics, *groups, *online); err != nil {
		fail(err)
	}
	if err := count(ctx, c, *steady); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "seriesreal:", err)
	os.Exit(1)
}

// count runs the exporter with every family on and prints its series per
// family after the second cycle and again after steady.
func count(ctx context.Context, c *realbroker.Cluster, steady time.Duration) error {
	set := app.Defaults()
	set.Namesrvs = []string{c.NamesrvAddr}
	set.CycleTimeout = time.Minute
	everyFamily(&set)
	a, err := app.New(set, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	var first map[string]int
	for k := 1; ; k++ {
		snap := a.Cycle(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for _, b := range snap.Brokers {
			if !b.Up {
				return fmt.Errorf("cycle %d: broker %s down: %s", k, b.Name, b.Err)
			}
		}
		if k == 2 {
			first = scrape(a)
		}
		if k > 2 && time.Since(start) >= steady {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
		}
	}
	print(c.Version, first, scrape(a))
	return nil
}

// scrape counts a's /metrics series by family.
func scrape(a *app.App) map[string]int {
	rec := httptest.NewRecorder()
	a.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, a.Settings.TelemetryPath, nil))
	n := map[string]int{}
	for _, line := range bytes.Split(rec.Body.Bytes(), []byte("\n")) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		name := string(line)
		if i := strings.IndexAny(name, "{ "); i >= 0 {
			name = name[:i]
		}
		n[name]++
	}
	return n
}

func print(version string, first, steady map[string]int) {
	fmt.Printf("# Series per family, real RocketMQ %s, every family on (%s)\n\n", version, time.Now().UTC().Format(time.RFC3339))
	fmt.Println("| family | after the workload | steady |\n|---|---|---|")
	names := map[string]bool{}
	for k := range first {
		names[k] = true
	}
	for k := range steady {
		names[k] = true
	}
	var order []string
	for k := range names {
		order = append(order, k)
	}
	sort.Strings(order)
	t1, t2 := 0, 0
	for _, k := range order {
		fmt.Printf("| %s | %d | %d |\n", k, first[k], steady[k])
		t1, t2 = t1+first[k], t2+steady[k]
	}
	fmt.Printf("| **total** | %d | %d |\n", t1, t2)
}

// everyFamily switches on every family the exporter can serve.
func everyFamily(s *app.Settings) {
	s.Compat, s.QueueMetrics, s.ClientMetrics, s.RunningInfo = true, true, true, true
	s.TopicMetrics, s.GroupMetrics, s.MessageRates = true, true, true
}
