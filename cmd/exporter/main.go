// Command rocketmq_exporter serves Apache RocketMQ's state as Prometheus
// metrics, and audits brokers for what deleted topics and groups left.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	webflag "github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/collector"
	"github.com/rocketmq-exporter/rocketmq_exporter/filter"
	"github.com/rocketmq-exporter/rocketmq_exporter/gc"
	"github.com/rocketmq-exporter/rocketmq_exporter/poller"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/rpcstats"
	webui "github.com/rocketmq-exporter/rocketmq_exporter/web"
)

const name = "rocketmq_exporter"

// settings are every flag, shared by the serve and audit commands.
type settings struct {
	namesrvs      []string
	accessKey     string
	secretKey     string
	useTLS        bool
	tlsInsecure   bool
	timeout       time.Duration
	interval      time.Duration
	cycleTimeout  time.Duration
	brokerConc    int
	callConc      int
	grace         int
	queueMetrics  bool
	clientMetrics bool
	runningInfo   bool
	lagSeconds    bool
	compat        bool
	leakProbes    int
	tombTTL       time.Duration
	maxTombs      int
	maxSeries     int
	topicInclude  string
	topicExclude  string
	groupInclude  string
	groupExclude  string
	telemetryPath string
	auditOutput   string
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	var s settings
	app := kingpin.New(name, "Prometheus exporter for Apache RocketMQ: broker, topic and consumer-group metrics, with stat-series garbage collection and broker stat-leak detection.").DefaultEnvars()
	app.HelpFlag.Short('h')
	app.Version(version.Print(name))
	app.Flag("rocketmq.namesrv-addr", "Namesrv addresses of one cluster, ';' or ',' separated; repeat the flag for several clusters.").Required().StringsVar(&s.namesrvs)
	app.Flag("rocketmq.access-key", "ACL access key (ACL 1.0 and 2.0).").StringVar(&s.accessKey)
	app.Flag("rocketmq.secret-key", "ACL secret key.").StringVar(&s.secretKey)
	app.Flag("rocketmq.tls", "Use TLS to namesrvs and brokers.").BoolVar(&s.useTLS)
	app.Flag("rocketmq.tls.insecure-skip-verify", "Do not verify RocketMQ's TLS certificates.").BoolVar(&s.tlsInsecure)
	app.Flag("rocketmq.timeout", "Timeout of one call to RocketMQ.").Default("5s").DurationVar(&s.timeout)
	app.Flag("collect.interval", "Time between collection cycles.").Default("15s").DurationVar(&s.interval)
	app.Flag("collect.timeout", "Deadline of one cycle; 0 means 90% of the interval.").Default("0s").DurationVar(&s.cycleTimeout)
	app.Flag("collect.broker-concurrency", "Brokers collected at once.").Default("8").IntVar(&s.brokerConc)
	app.Flag("collect.call-concurrency", "Calls in flight to one broker at once.").Default("16").IntVar(&s.callConc)
	app.Flag("collect.grace-cycles", "Failed cycles during which an unreachable broker's last data is still served (with rocketmq_up 0).").Default("3").IntVar(&s.grace)
	app.Flag("collect.queue-metrics", "Serve per-queue families (one series per queue).").Default("false").BoolVar(&s.queueMetrics)
	app.Flag("collect.client-metrics", "Serve per-client families (client info).").Default("true").BoolVar(&s.clientMetrics)
	app.Flag("collect.client-running-info", "Ask every online consumer client for its own figures (one call per client per cycle).").Default("false").BoolVar(&s.runningInfo)
	app.Flag("collect.lag-seconds", "Measure the age of the oldest unconsumed message of lagging groups (QUERY_CONSUME_TIME_SPAN, no message bodies).").Default("true").BoolVar(&s.lagSeconds)
	app.Flag("collect.compat-metrics", "Serve the metric families of apache/rocketmq-exporter under their names.").Default("true").BoolVar(&s.compat)
	app.Flag("leak.probes", "Stat keys asked per broker per cycle to find stat items left by deleted topics and groups; 0 disables leak probing.").Default("64").IntVar(&s.leakProbes)
	app.Flag("leak.tombstone-ttl", "How long deleted topics and groups are remembered for leak probing.").Default("6h").DurationVar(&s.tombTTL)
	app.Flag("leak.max-tombstones", "Deleted topics and groups remembered per broker.").Default("5000").IntVar(&s.maxTombs)
	app.Flag("max-series", "Cap on series per scrape; lowest-priority families are dropped whole beyond it. 0: no cap.").Default("0").IntVar(&s.maxSeries)
	app.Flag("topic.include", "Regular expression of topics to watch (whole name).").StringVar(&s.topicInclude)
	app.Flag("topic.exclude", "Regular expression of topics not to watch.").StringVar(&s.topicExclude)
	app.Flag("group.include", "Regular expression of consumer and producer groups to watch (their %RETRY%/%DLQ% topics follow).").StringVar(&s.groupInclude)
	app.Flag("group.exclude", "Regular expression of groups not to watch.").StringVar(&s.groupExclude)
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&s.telemetryPath)
	webFlags := webflag.AddFlags(app, ":5557")
	logConfig := &promslog.Config{}
	promslogflag.AddFlags(app, logConfig)
	serve := app.Command("serve", "Run the exporter (default).").Default()
	audit := app.Command("audit", "Run one pass, print what deleted topics and groups left on each broker, and exit: 0 clean, 1 leftovers found, 2 error.")
	audit.Flag("output", "Output format: text or json.").Default("text").EnumVar(&s.auditOutput, "text", "json")

	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v (try --help)\n", name, err)
		return 2
	}
	logger := promslog.New(logConfig)
	deps, err := build(s, logger)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v\n", name, err)
		return 2
	}
	defer deps.rc.Close()
	switch cmd {
	case serve.FullCommand():
		return serveCmd(s, deps, webFlags, logger)
	case audit.FullCommand():
		return auditCmd(s, deps, os.Stdout)
	}
	return 2
}

// deps are the long-lived pieces both commands use.
type deps struct {
	rc     *remoting.Client
	adm    *admin.Client
	rec    *rpcstats.Recorder
	reg    *prometheus.Registry
	cfg    poller.Config
	prober *gc.Prober
}

func build(s settings, logger *slog.Logger) (*deps, error) {
	targets, err := parseTargets(s.namesrvs)
	if err != nil {
		return nil, err
	}
	topics, err := filter.New(s.topicInclude, s.topicExclude)
	if err != nil {
		return nil, fmt.Errorf("--topic.include/--topic.exclude: %w", err)
	}
	groups, err := filter.New(s.groupInclude, s.groupExclude)
	if err != nil {
		return nil, fmt.Errorf("--group.include/--group.exclude: %w", err)
	}
	if (s.accessKey == "") != (s.secretKey == "") {
		return nil, errors.New("--rocketmq.access-key and --rocketmq.secret-key go together")
	}
	if s.interval <= 0 || s.timeout <= 0 {
		return nil, errors.New("--collect.interval and --rocketmq.timeout must be positive")
	}
	reg := prometheus.NewRegistry()
	rec := rpcstats.New(reg)
	opts := remoting.Options{Observer: rec, DialTimeout: s.timeout}
	if s.accessKey != "" {
		opts.Credentials = &remoting.Credentials{AccessKey: s.accessKey, SecretKey: s.secretKey}
	}
	if s.useTLS {
		opts.TLS = &tls.Config{InsecureSkipVerify: s.tlsInsecure} //nolint:gosec // operator's explicit choice
	}
	rc := remoting.NewClient(opts)
	adm := admin.New(rc)
	d := &deps{rc: rc, adm: adm, rec: rec, reg: reg}
	if s.leakProbes > 0 {
		d.prober = gc.NewProber(adm, gc.ProberConfig{MaxProbes: s.leakProbes, TombstoneTTL: s.tombTTL,
			MaxTombstones: s.maxTombs, CallTimeout: s.timeout})
	}
	d.cfg = poller.Config{Targets: targets, Interval: s.interval, CycleTimeout: s.cycleTimeout, CallTimeout: s.timeout,
		BrokerConcurrency: s.brokerConc, CallConcurrency: s.callConc, GraceCycles: s.grace, Topics: topics, Groups: groups,
		QueueDetail: s.queueMetrics, ClientRunningInfo: s.runningInfo, LagSeconds: s.lagSeconds, Logger: logger}
	if d.prober != nil {
		d.cfg.Prober = d.prober
	}
	return d, nil
}

// parseTargets reads repeated --rocketmq.namesrv-addr values: each is one
// cluster's namesrvs, separated by ';' or ','.
func parseTargets(values []string) ([][]string, error) {
	var out [][]string
	for _, v := range values {
		var set []string
		for _, a := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' }) {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			if !strings.Contains(a, ":") {
				return nil, fmt.Errorf("--rocketmq.namesrv-addr: %q has no port (want host:port)", a)
			}
			set = append(set, a)
		}
		if len(set) == 0 {
			return nil, fmt.Errorf("--rocketmq.namesrv-addr: %q names no address", v)
		}
		out = append(out, set)
	}
	return out, nil
}

func serveCmd(s settings, d *deps, webFlags *web.FlagConfig, logger *slog.Logger) int {
	p := poller.New(d.cfg, d.adm, d.rec)
	tracker := gc.NewTracker(d.reg)
	p.AddObserver(tracker)
	if d.prober != nil {
		p.AddObserver(d.prober)
	}
	coll := collector.New(p, collector.Options{Compat: s.compat, QueueMetrics: s.queueMetrics,
		ClientMetrics: s.clientMetrics, MaxSeries: s.maxSeries, Logger: logger})
	d.reg.MustRegister(coll, versioncollector.NewCollector(name),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	logger.Info("starting "+name, "version", version.Info(), "targets", fmt.Sprint(d.cfg.Targets), "interval", s.interval)
	go p.Run(ctx)

	handler := webui.NewRouter(webui.Options{TelemetryPath: s.telemetryPath, Version: version.Version,
		Gatherer: d.reg, Source: p, Series: coll, Logger: logger, Removed: tracker.Totals})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- web.ListenAndServe(srv, webFlags, logger) }()
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("web server failed", "err", err)
			return 1
		}
	case <-ctx.Done():
		logger.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}
	return 0
}
