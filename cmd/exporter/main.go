// Command rocketmq_exporter serves Apache RocketMQ's state as Prometheus
// metrics, and audits brokers for what deleted topics and groups left.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	webflag "github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/audit"
	"github.com/rocketmq-exporter/rocketmq_exporter/shard"
)

func main() {
	stampVersion(debug.ReadBuildInfo())
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// stampVersion fills the version from the module's build info when no
// -ldflags stamped it, so that `go install …/cmd/exporter@v1.2.3` reports
// v1.2.3 (and its VCS revision) rather than an empty version.
func stampVersion(bi *debug.BuildInfo, ok bool) {
	if version.Version != "" || !ok {
		return
	}
	// v1.2.3 is tagged, 1.2.3 printed, as the Makefile's version and the
	// Prometheus exporters print it.
	version.Version = strings.TrimPrefix(bi.Main.Version, "v")
	if version.Version == "" {
		version.Version = "(devel)"
	}
	if version.Revision != "" {
		return
	}
	for _, kv := range bi.Settings {
		if kv.Key == "vcs.revision" {
			version.Revision = kv.Value
		}
	}
}

// namesrvEnv is the variable that stands for --rocketmq.namesrv-addr.
const namesrvEnv = "ROCKETMQ_EXPORTER_ROCKETMQ_NAMESRV_ADDR"

// targetList is the cumulative --rocketmq.namesrv-addr value. A single
// value (hence the environment variable, where a flag cannot be repeated)
// may hold several targets separated by whitespace or newlines; spaces
// around ';', ',' and '=' belong to the target, as users type them.
type targetList struct{ v *[]string }

var (
	targetGlue = regexp.MustCompile(`\s*([;,=])\s*`)
	targetSep  = regexp.MustCompile(`\s+`)
)

func (l targetList) Set(v string) error {
	v = strings.TrimSpace(targetGlue.ReplaceAllString(v, "$1"))
	if v == "" {
		return errors.New("empty value")
	}
	*l.v = append(*l.v, targetSep.Split(v, -1)...)
	return nil
}

func (l targetList) String() string { return strings.Join(*l.v, " ") }

// IsCumulative lets the flag repeat.
func (l targetList) IsCumulative() bool { return true }

// fromFlagOrEnv names where a flag's value came from: the flag when the
// command line has it, else its environment variable, so that an error
// points at what the user has to fix.
func fromFlagOrEnv(args []string, flag, env string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return flag
		}
	}
	if os.Getenv(env) != "" {
		return env
	}
	return flag
}

// checkTargets rejects bad targets at start, naming the flag or variable.
func checkTargets(args, targets []string) error {
	_, err := app.ParseTargets(targets)
	if err == nil {
		return nil
	}
	src := fromFlagOrEnv(args, "--rocketmq.namesrv-addr", namesrvEnv)
	msg := strings.TrimPrefix(err.Error(), "--rocketmq.namesrv-addr")
	if len(targets) == 0 {
		msg = " is required (or set " + namesrvEnv + ": targets separated by spaces or newlines)"
	}
	return errors.New(src + msg)
}

// readSecretKeyFile sets s.SecretKey from the file, without its trailing
// newline, so that the key need not sit in the environment or argv.
func readSecretKeyFile(args []string, path string, s *app.Settings) error {
	if path == "" {
		return nil
	}
	src := fromFlagOrEnv(args, "--rocketmq.secret-key-file", "ROCKETMQ_EXPORTER_ROCKETMQ_SECRET_KEY_FILE")
	if s.SecretKey != "" {
		return fmt.Errorf("%s and --rocketmq.secret-key (or ROCKETMQ_EXPORTER_ROCKETMQ_SECRET_KEY) are mutually exclusive", src)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	s.SecretKey = strings.TrimRight(string(b), "\r\n")
	if s.SecretKey == "" {
		return fmt.Errorf("%s: %s is empty", src, path)
	}
	return nil
}

// badEnvar finds the environment variable whose value kingpin refused,
// since kingpin's message names neither it nor its flag: each variable in
// use (its flag not on the command line) is parsed alone as that flag.
func badEnvar(ka *kingpin.Application, args []string) (string, error) {
	m := ka.Model()
	scopes := map[string][]*kingpin.FlagModel{"": m.Flags}
	for _, cmd := range m.Commands {
		scopes[cmd.FullCommand] = cmd.Flags
	}
	for cmd, flags := range scopes {
		for _, f := range flags {
			if f.Envar == "" || os.Getenv(f.Envar) == "" || fromFlagOrEnv(args, "--"+f.Name, f.Envar) != f.Envar {
				continue
			}
			if f.IsBoolFlag() { // --flag=value is no syntax for a bool flag
				if _, err := strconv.ParseBool(os.Getenv(f.Envar)); err != nil {
					return f.Envar, err
				}
				continue
			}
			if err := parseAlone(cmd, f.Name, os.Getenv(f.Envar)); err != nil {
				return f.Envar, err
			}
		}
	}
	return "", nil
}

// parseAlone parses a variable's value as its flag, one flag per line as
// kingpin splits a repeatable flag's variable.
func parseAlone(cmd, flag, value string) error {
	var args []string
	if cmd != "" {
		args = append(args, cmd)
	}
	for _, v := range strings.Split(strings.TrimRight(value, "\r\n"), "\n") {
		args = append(args, "--"+flag+"="+strings.TrimSuffix(v, "\r"))
	}
	_, err := newCLI(io.Discard, io.Discard, false).ka.Parse(args)
	return err
}

// builtinFlags are kingpin's own flags: DefaultEnvars would read them from
// ROCKETMQ_EXPORTER_VERSION, _HELP… too, and a variable of that name set for
// another purpose (an image's version, say) would stop the exporter.
var builtinFlags = []string{"help", "help-long", "help-man", "version",
	"completion-bash", "completion-script-bash", "completion-script-zsh"}

func noBuiltinEnvars(ka *kingpin.Application) {
	for _, name := range builtinFlags {
		if f := ka.GetFlag(name); f != nil {
			f.NoEnvar()
		}
	}
}

// cli is the command line: its parser and what parsing fills in.
type cli struct {
	ka                         *kingpin.Application
	s                          app.Settings
	auditOutput, secretKeyFile string
	webFlags                   *web.FlagConfig
	logConfig                  *promslog.Config
	serve, audit               *kingpin.CmdClause
	printed                    bool         // --help or --version printed; kingpin would exit the process
	renamedUsed, newUsed       []bool       // renamed flags: old and new name given on the command line
	oldNames                   app.Settings // what the old names set (see addRenamed)
	shardFromHost              bool         // --shard.index-from-hostname
}

// newCLI defines every flag and command; with envars, each flag also
// reads ROCKETMQ_EXPORTER_<FLAG>.
func newCLI(stdout, stderr io.Writer, envars bool) *cli {
	c := &cli{s: app.Defaults()}
	d := app.Defaults()
	s, ka := &c.s, kingpin.New(app.Name, "Prometheus exporter for Apache RocketMQ: broker, topic and consumer-group metrics, with stat-series garbage collection and broker stat-leak detection.")
	c.ka = ka
	if envars {
		ka.DefaultEnvars()
	}
	ka.HelpFlag.Short('h')
	ka.Version(version.Print(app.Name))
	ka.Terminate(func(int) { c.printed = true })
	ka.UsageWriter(stdout)
	ka.ErrorWriter(stderr)
	ka.Flag("rocketmq.namesrv-addr", "Namesrv addresses of one cluster, ';' or ',' separated, optionally named: name=host:port;host:port. Several clusters: repeat the flag, or separate targets by spaces or newlines (the way to list several in the environment variable). Then every series about a cluster carries a target label: its name, else its address list (names must differ).").SetValue(targetList{&s.Namesrvs})
	ka.Flag("rocketmq.proxy-addr", "Remoting addresses (port 8080 by default) of a target's rocketmq-proxies in cluster mode, ';' separated, prefixed name= with the target's name when there are several targets; repeatable. The brokers do not know the 5.x gRPC consumers connected to such a proxy, so a group the broker sees no consumer of is asked there.").StringsVar(&s.Proxies)
	ka.Flag("rocketmq.access-key", "ACL access key (ACL 1.0 and 2.0).").StringVar(&s.AccessKey)
	ka.Flag("rocketmq.secret-key", "ACL secret key.").StringVar(&s.SecretKey)
	ka.Flag("rocketmq.secret-key-file", "File holding the ACL secret key (read at start, trailing newline trimmed); excludes --rocketmq.secret-key.").StringVar(&c.secretKeyFile)
	ka.Flag("rocketmq.tls", "Use TLS to namesrvs and brokers (the other --rocketmq.tls.* flags need it).").BoolVar(&s.TLS)
	ka.Flag("rocketmq.tls.ca-file", "PEM file of the CA(s) that sign RocketMQ's certificates; empty: the system's roots.").StringVar(&s.TLSCAFile)
	ka.Flag("rocketmq.tls.cert-file", "PEM client certificate, for namesrvs and brokers that require one (tls.server.need.client.auth=require); needs --rocketmq.tls.key-file.").StringVar(&s.TLSCertFile)
	ka.Flag("rocketmq.tls.key-file", "PEM private key of --rocketmq.tls.cert-file.").StringVar(&s.TLSKeyFile)
	ka.Flag("rocketmq.tls.server-name", "Name verified against RocketMQ's certificates instead of the address dialled (brokers are dialled by the IP they register).").StringVar(&s.TLSServerName)
	ka.Flag("rocketmq.tls.insecure-skip-verify", "Do not verify RocketMQ's TLS certificates (excludes --rocketmq.tls.ca-file).").BoolVar(&s.TLSInsecure)
	ka.Flag("rocketmq.timeout", "Timeout of one call to RocketMQ.").Default(d.Timeout.String()).DurationVar(&s.Timeout)
	ka.Flag("collect.interval", "Time between collection cycles.").Default(d.Interval.String()).DurationVar(&s.Interval)
	ka.Flag("collect.timeout", "Deadline of one cycle; 0 means 90% of the interval.").Default(d.CycleTimeout.String()).DurationVar(&s.CycleTimeout)
	ka.Flag("collect.broker-concurrency", "Brokers collected at once.").Default(fmt.Sprint(d.BrokerConc)).IntVar(&s.BrokerConc)
	ka.Flag("collect.call-concurrency", "Calls in flight to one broker at once.").Default(fmt.Sprint(d.CallConc)).IntVar(&s.CallConc)
	ka.Flag("collect.grace-cycles", "Failed cycles during which an unreachable broker's last data is still served (with rocketmq_up 0).").Default(fmt.Sprint(d.Grace)).IntVar(&s.Grace)
	ka.Flag("collect.offline-group-refresh", "Cycles between connection-list checks of a consumer group seen offline (online groups are checked every cycle); 1 checks every cycle.").Default(fmt.Sprint(d.OfflineRefresh)).IntVar(&s.OfflineRefresh)
	ka.Flag("collect.idle-topic-refresh", "Cycles between offset checks of a topic that no group consumes and that has not moved for a minute (moving topics are checked every cycle); 0 or 1 checks every cycle.").Default(fmt.Sprint(d.IdleTopicRefresh)).IntVar(&s.IdleTopicRefresh)
	ka.Flag("collect.queue-metrics", "Serve per-queue families (one series per queue).").Default(fmt.Sprint(d.QueueMetrics)).BoolVar(&s.QueueMetrics)
	ka.Flag("collect.client-metrics", "Serve per-client families (client info and running info).").Default(fmt.Sprint(d.ClientMetrics)).BoolVar(&s.ClientMetrics)
	ka.Flag("collect.client-running-info", "Ask every online consumer client for its own figures (one call per client per cycle); needs --collect.client-metrics, which serves them.").Default(fmt.Sprint(d.RunningInfo)).BoolVar(&s.RunningInfo)
	ka.Flag("collect.lag-seconds", "Measure the age of the oldest unconsumed message of lagging groups (QUERY_CONSUME_TIME_SPAN, no message bodies).").Default(fmt.Sprint(d.LagSeconds)).BoolVar(&s.LagSeconds)
	ka.Flag("collect.lag-seconds-budget", "Age look-ups per broker per cycle at most; the pairs asked longest ago go first, so each lagging pair is measured within (lagging pairs / budget) cycles. 0: no cap.").Default(fmt.Sprint(d.LagSecondsBudget)).IntVar(&s.LagSecondsBudget)
	ka.Flag("collect.compat-metrics", "Serve the metric families of apache/rocketmq-exporter under their names (for its dashboards and rules; see docs/migrating-from-java.md).").Default(fmt.Sprint(d.Compat)).BoolVar(&s.Compat)
	ka.Flag("collect.topic-metrics", "Serve our families per topic (--no-collect.topic-metrics leaves them out).").Default(fmt.Sprint(d.TopicMetrics)).BoolVar(&s.TopicMetrics)
	ka.Flag("collect.group-metrics", "Serve our families per consumer group and per group and topic (--no-collect.group-metrics leaves them out).").Default(fmt.Sprint(d.GroupMetrics)).BoolVar(&s.GroupMetrics)
	ka.Flag("collect.message-rates", "Serve the broker's minute-window message rates per topic and per group; rate() over the _total counters gives the same.").Default(fmt.Sprint(d.MessageRates)).BoolVar(&s.MessageRates)
	ka.Flag("collect.max-series", "Cap on series per scrape; lowest-priority families are dropped whole beyond it, and a dropped family comes back only when the series with it fit under 90% of the cap. 0: no cap.").Default(fmt.Sprint(d.MaxSeries)).IntVar(&s.MaxSeries)
	ka.Flag("collect.lmq-expand", "Serve one series per light message queue (%LMQ%…) instead of one per parent.").Default(fmt.Sprint(d.ExpandLMQ)).BoolVar(&s.ExpandLMQ)
	ka.Flag("leak.probes", "Stat keys asked per broker per cycle to find stat items left by deleted topics and groups; 0 disables leak probing.").Default(fmt.Sprint(d.LeakProbes)).IntVar(&s.LeakProbes)
	ka.Flag("leak.reprobe-interval", "How long a stat key found still held waits before it is asked again (how soon a freed leak shows as freed).").Default(d.LeakReprobe.String()).DurationVar(&s.LeakReprobe)
	ka.Flag("leak.tombstone-ttl", "Forget a deleted topic or group after this long even though its broker did not restart; 0 (default) remembers it until the broker restarts, which frees its stat items.").Default(d.TombTTL.String()).DurationVar(&s.TombTTL)
	ka.Flag("leak.max-tombstones", "Deleted topics and groups remembered per broker; beyond it the oldest (those found clean first) are forgotten and counted in rocketmq_exporter_tombstones_dropped_total.").Default(fmt.Sprint(d.MaxTombs)).IntVar(&s.MaxTombs)
	ka.Flag("leak.history-url", "Prometheus base URL from which the topics and groups this exporter served within --leak.history-window are recalled at start, so those deleted since are still probed for leaks; empty: off.").StringVar(&s.HistoryURL)
	ka.Flag("leak.history-window", "How far back --leak.history-url is read, in Prometheus' duration syntax (7d, 36h).").Default(model.Duration(d.HistoryWindow).String()).SetValue(promDuration{"--leak.history-window", &s.HistoryWindow})
	ka.Flag("leak.history-selector", "Label matchers narrowing the series read from --leak.history-url, e.g. job=\"rocketmq\" (needed when the server scrapes several exporters of equally named clusters).").StringVar(&s.HistorySelector)
	ka.Flag("leak.state-file", "File in which deleted topics and groups are kept across restarts for leak probing (replaced atomically); empty: off.").StringVar(&s.StateFile)
	ka.Flag("topic.include", "Regular expression of topics to watch (whole name).").StringVar(&s.TopicInclude)
	ka.Flag("topic.exclude", "Regular expression of topics not to watch.").StringVar(&s.TopicExclude)
	ka.Flag("group.include", "Regular expression of consumer and producer groups to watch (their %RETRY%/%DLQ% topics follow).").StringVar(&s.GroupInclude)
	ka.Flag("group.exclude", "Regular expression of groups not to watch.").StringVar(&s.GroupExclude)
	ka.Flag("web.telemetry-path", "Path under which to expose metrics.").Default(d.TelemetryPath).StringVar(&s.TelemetryPath)
	ka.Flag("web.external-url", "The URL under which the exporter is reached (behind a reverse proxy); its path is the default --web.route-prefix.").StringVar(&s.ExternalURL)
	ka.Flag("web.route-prefix", "Path prefix of every endpoint, e.g. /rocketmq; defaults to the path of --web.external-url. The landing page's links are relative, so they work under a prefix and behind a proxy that strips one.").StringVar(&s.RoutePrefix)
	ka.Flag("shard.count", "Replicas that split the work: each serves the topics, groups and brokers a stable hash of their names gives it, and the union of their /metrics is one unsharded exporter's. 1: unsharded.").Default(fmt.Sprint(d.ShardCount)).IntVar(&s.ShardCount)
	ka.Flag("shard.index", "This replica's share, from 0 to --shard.count minus 1.").Default(fmt.Sprint(d.ShardIndex)).IntVar(&s.ShardIndex)
	ka.Flag("shard.index-from-hostname", "Take --shard.index from the host name's trailing ordinal (<name>-<ordinal>, a StatefulSet pod's name).").BoolVar(&c.shardFromHost)
	c.addRenamed(ka)
	c.webFlags = webflag.AddFlags(ka, d.ListenAddress)
	c.logConfig = &promslog.Config{}
	promslogflag.AddFlags(ka, c.logConfig)
	c.serve = ka.Command("serve", "Run the exporter (default).").Default()
	c.audit = ka.Command("audit", "Run one pass, print what deleted topics and groups left on each broker, and exit: 0 clean, 1 leftovers found, 2 error or incomplete (a broker or namesrv did not answer, or the pass ended before every stat key was asked).")
	c.audit.Flag("output", "Output format: text or json.").Default("text").EnumVar(&c.auditOutput, "text", "json")
	noBuiltinEnvars(ka)
	return c
}

// run parses args and runs a command; it returns the exit code.
func run(args []string, stdout, stderr *os.File) int {
	c := newCLI(stdout, stderr, true)
	cmd, err := c.parse(args)
	if c.printed {
		return 0
	}
	if err != nil {
		if env, envErr := badEnvar(c.ka, args); envErr != nil {
			err = fmt.Errorf("%s: %w", env, envErr)
		}
		fmt.Fprintf(stderr, "%s: error: %v (try --help)\n", app.Name, err)
		return 2
	}
	s := c.s
	if err := checkTargets(args, s.Namesrvs); err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", app.Name, err)
		return 2
	}
	if err := readSecretKeyFile(args, c.secretKeyFile, &s); err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", app.Name, err)
		return 2
	}
	if err := shardFromHostname(c.shardFromHost, &s, os.Hostname); err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", app.Name, err)
		return 2
	}
	logger := promslog.New(c.logConfig)
	c.warnRenamed(logger)
	switch cmd {
	case c.audit.FullCommand():
		return auditCmd(s, c.auditOutput, stdout, stderr, logger)
	case c.serve.FullCommand():
		a, err := app.New(s, logger)
		if err != nil {
			fmt.Fprintf(stderr, "%s: error: %v\n", app.Name, err)
			return 2
		}
		defer a.Close()
		return serveCmd(a, c.webFlags, logger)
	}
	return 2
}

// shardFromHostname sets the shard index from the host name when asked:
// a StatefulSet's pods share one spec and differ only in their names.
func shardFromHostname(on bool, s *app.Settings, hostname func() (string, error)) error {
	if !on {
		return nil
	}
	h, err := hostname()
	if err != nil {
		return fmt.Errorf("--shard.index-from-hostname: %w", err)
	}
	if s.ShardIndex, err = shard.IndexFromHostname(h); err != nil {
		return fmt.Errorf("--shard.index-from-hostname: %w", err)
	}
	return nil
}

// auditCmd runs one audit pass: it builds what talks to RocketMQ, not the
// serving stack (no poller loop, cache, registry of scrapes or router).
func auditCmd(s app.Settings, output string, stdout, stderr *os.File, logger *slog.Logger) int {
	core, err := app.NewCore(s, logger)
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", app.Name, err)
		return 2
	}
	defer core.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	reports, code := audit.Run(ctx, core, nil)
	if err := audit.Write(stdout, reports, output); err != nil {
		return audit.Failed
	}
	return code
}

// promDuration is a flag in Prometheus' duration syntax, which has days.
type promDuration struct {
	flag string
	d    *time.Duration
}

func (p promDuration) Set(v string) error {
	d, err := model.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%s: %w", p.flag, err)
	}
	*p.d = time.Duration(d)
	return nil
}

func (p promDuration) String() string { return model.Duration(*p.d).String() }

func serveCmd(a *app.App, webFlags *web.FlagConfig, logger *slog.Logger) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	logger.Info("starting "+app.Name, "version", version.Info(), "targets", fmt.Sprint(a.Targets), "interval", a.Settings.Interval)
	pollCtx, stopPolling := context.WithCancel(ctx)
	polled := make(chan struct{})
	go func() { defer close(polled); a.Poller.Run(pollCtx) }()

	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- web.ListenAndServe(srv, webFlags, logger) }()
	code := 0
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("web server failed", "err", err)
			code = 1
		}
	case <-ctx.Done():
		logger.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			logger.Error("web server did not shut down cleanly", "err", err)
			code = 1
		}
	}
	// The poller saves its state file when Run returns: the connections
	// close only after that (a.Close is deferred by the caller).
	stopPolling()
	select {
	case <-polled:
	case <-time.After(shutdownTimeout):
		logger.Error("the collection cycle did not stop in time; exiting without waiting for it", "waited", shutdownTimeout)
		code = 1
	}
	return code
}

// shutdownTimeout bounds how long in-flight scrapes and the running cycle
// get to finish once the process is asked to stop.
const shutdownTimeout = 5 * time.Second
