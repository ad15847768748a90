// Command demo is the README's first command (`make run`): it starts a
// local RocketMQ (see internal/realbroker), a small workload that leaves
// something to look at, and the exporter binary on top of it, prints where
// to look, and on Ctrl-C stops the exporter, the workload and RocketMQ.
//
//	go run ./cmd/demo -exporter ./rocketmq_exporter [-listen :5557] [-- extra exporter flags]
//
// The workload:
//   - a producer sends a few messages per second to demo-orders;
//   - the consumer group demo-billing consumes demo-orders, but holds each
//     message back until the producer is -lag messages ahead, so its lag is
//     visible and stays bounded (about -lag, plus what its last offset
//     commit, every 5 s, has not reported yet);
//   - the group demo-archiver consumed the first messages of demo-audit and
//     went offline; more arrived after it left, so its lag stays, with no
//     consumer online, and its lag in seconds grows;
//   - demo-ephemeral is written, read by demo-ephemeral-reader and then
//     deleted with its group: the broker (started with
//     autoDeleteUnusedStats=false, the default before 5.3.1) keeps their
//     stat items, which the exporter reports as leaked.
//
// When the prometheus binary is on PATH, a real Prometheus scrapes the
// exporter and evaluates the alert rules (alerts/rocketmq-alerts.yaml).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
)

// Names the demo gives things; the README and dashboards refer to them.
const (
	topicOrders   = "demo-orders"
	topicAudit    = "demo-audit"
	groupBilling  = "demo-billing"
	groupArchiver = "demo-archiver"
	producerGroup = "demo-order-service"
)

type config struct {
	exporter string
	listen   string
	version  string
	rate     float64
	lag      int64
	interval time.Duration
	rules    string // alert rules for the demo's Prometheus
	noProm   bool
	extra    []string // passed to the exporter as they are
}

func main() {
	// Children get Pdeathsig, which fires when the thread that forked them
	// exits; keep main's thread for the life of the process.
	runtime.LockOSThread()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: demo [flags] [-- exporter flags]\n\nStarts RocketMQ, a demo workload and the exporter; Ctrl-C stops all.\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.exporter, "exporter", "./rocketmq_exporter", "exporter binary to run (make build makes it)")
	fs.StringVar(&c.listen, "listen", ":5557", "exporter's --web.listen-address")
	fs.StringVar(&c.version, "version", "", "RocketMQ version (default $ROCKETMQ_VERSION or "+realbroker.DefaultVersion+")")
	fs.Float64Var(&c.rate, "rate", 5, "messages per second sent to "+topicOrders)
	fs.Int64Var(&c.lag, "lag", 50, "messages "+groupBilling+" stays behind on "+topicOrders)
	fs.DurationVar(&c.interval, "interval", 5*time.Second, "exporter's --collect.interval")
	fs.StringVar(&c.rules, "rules", "alerts/rocketmq-alerts.yaml", "alert rules the demo's Prometheus evaluates")
	fs.BoolVar(&c.noProm, "no-prometheus", false, "do not start a Prometheus even when the binary is on PATH")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.extra = fs.Args()
	switch {
	case c.rate <= 0 || c.rate > 1000:
		return c, fmt.Errorf("-rate %v: want 0 < rate <= 1000", c.rate)
	case c.lag < 0:
		return c, fmt.Errorf("-lag %d: want >= 0", c.lag)
	case c.interval <= 0:
		return c, fmt.Errorf("-interval %v: want > 0", c.interval)
	}
	return c, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 2
	}
	logger := log.New(stderr, "demo: ", log.Ltime)
	exe, err := findExporter(cfg.exporter)
	if err != nil {
		logger.Printf("%v", err)
		return 2
	}

	// The first SIGINT/SIGTERM stops everything in order; after it the
	// default handling is back, so a second Ctrl-C ends the demo at once
	// (its JVMs and the exporter die with it: they have Pdeathsig).
	ctx, stopSignals := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stopSignals()

	logger.Printf("starting RocketMQ (the first run downloads its jars from Maven Central, which takes a while)")
	cluster, err := realbroker.Start(ctx, realbroker.Options{Version: cfg.version, Logf: logger.Printf, BrokerConf: leakBrokerConf})
	if err != nil {
		if ctx.Err() != nil {
			logger.Printf("interrupted while RocketMQ was starting")
			return 1
		}
		logger.Printf("%v", err)
		return 1
	}
	defer func() {
		logger.Printf("stopping RocketMQ")
		cluster.Stop()
		logger.Printf("all stopped")
	}()

	wl, err := startWorkload(ctx, cluster, cfg, logger)
	if err != nil {
		if ctx.Err() != nil {
			logger.Printf("interrupted while the workload was starting")
			return 1
		}
		logger.Printf("workload: %v", err)
		return 1
	}
	defer func() {
		logger.Printf("stopping the workload")
		wl.stop()
	}()

	exp, err := startExporter(exe, cfg, cluster.NamesrvAddr, stderr)
	if err != nil {
		logger.Printf("%v", err)
		return 1
	}
	defer exp.stop(logger)

	base := baseURL(cfg.listen)
	if err := exp.waitReady(ctx, base+"/readyz", 90*time.Second); err != nil {
		if ctx.Err() == nil {
			logger.Printf("%v", err)
			return 1
		}
	}
	promURL := ""
	if !cfg.noProm && ctx.Err() == nil {
		prom, err := startPrometheus(ctx, cfg, exporterTarget(cfg.listen), logger)
		if err != nil {
			logger.Printf("prometheus: %v (the demo goes on without it)", err)
		} else if prom != nil {
			defer prom.Stop()
			promURL = prom.URL
		}
	}
	go func() {
		if err := leaveALeak(ctx, cluster, logger); err != nil && ctx.Err() == nil {
			logger.Printf("the leak side workload failed: %v", err)
		}
	}()
	if ctx.Err() == nil {
		printBanner(stdout, cluster, base, promURL, cfg)
	}

	status := time.NewTicker(30 * time.Second)
	defer status.Stop()
	for {
		select {
		case <-ctx.Done():
			stopSignals()
			logger.Printf("interrupted: stopping the exporter, the workload and RocketMQ")
			return 0
		case <-exp.done:
			logger.Printf("the exporter exited early: %v", exp.err)
			return 1
		case <-status.C:
			logger.Printf("%s", wl.status())
		}
	}
}

func printBanner(w io.Writer, c *realbroker.Cluster, base, promURL string, cfg config) {
	fmt.Fprintf(w, `
RocketMQ %s is up and the exporter is serving it.

  Landing page  %s/
  Metrics       %s/metrics
  Health        %s/healthz
  Readiness     %s/readyz

  Namesrv       %s   (cluster %s)
  Broker        %s   (%s)

Workload: %.3g msg/s to %s, consumed by %s about %d messages behind;
%s idle on %s with a standing lag; %s deleted after traffic,
leaving stat items in the broker. Try:

  curl -s %s/metrics | grep -E 'rocketmq_consumer_group_lag_messages|rocketmq_broker_leaked_stat_items'

`, c.Version, base, base, base, base, c.NamesrvAddr, c.ClusterName, c.BrokerAddr, c.BrokerName,
		cfg.rate, topicOrders, groupBilling, cfg.lag, groupArchiver, topicAudit, topicEphemeral, base)
	if promURL != "" {
		fmt.Fprintf(w, "Prometheus    %s   (alerts: %s/alerts, rules from %s)\n\n", promURL, promURL, cfg.rules)
	} else {
		fmt.Fprintf(w, "No Prometheus: install it (Debian/Ubuntu: apt-get install prometheus) to see the alerts evaluate.\n\n")
	}
	fmt.Fprintf(w, "Ctrl-C stops the exporter, the workload and RocketMQ.\n\n")
}
