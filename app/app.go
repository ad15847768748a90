// Package app assembles the exporter from its parts and holds nothing but
// that wiring: the remoting and admin clients, the poller (which completes
// each snapshot, series tracking included), the metrics cache and the web
// router. The command and the end-to-end tests build it the same way.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/collector"
	"github.com/rocketmq-exporter/rocketmq_exporter/filter"
	"github.com/rocketmq-exporter/rocketmq_exporter/history"
	"github.com/rocketmq-exporter/rocketmq_exporter/leak"
	"github.com/rocketmq-exporter/rocketmq_exporter/poller"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/rpcstats"
	"github.com/rocketmq-exporter/rocketmq_exporter/shard"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
	"github.com/rocketmq-exporter/rocketmq_exporter/web"
)

// Name is the exporter's name in build info and logs.
const Name = "rocketmq_exporter"

// Settings are the exporter's options, one per command-line flag.
type Settings struct {
	Namesrvs      []string // each: one cluster's namesrvs, ';' or ',' separated
	Proxies       []string // each: one target's rocketmq-proxy remoting addresses, [name=]host:port;…
	AccessKey     string
	SecretKey     string
	TLS           bool
	TLSInsecure   bool
	TLSCAFile     string // PEM CA(s) that sign RocketMQ's certificates; the TLS* settings need TLS
	TLSCertFile   string // PEM client certificate, for servers that require one
	TLSKeyFile    string // its private key
	TLSServerName string // verified against the certificates instead of the dialled host
	Timeout       time.Duration
	Interval      time.Duration
	CycleTimeout  time.Duration
	BrokerConc    int
	CallConc      int
	Grace         int
	QueueMetrics  bool
	ClientMetrics bool
	RunningInfo   bool
	LagSeconds    bool
	// LagSecondsBudget caps the age look-ups per broker per cycle.
	LagSecondsBudget int
	Compat           bool
	// TopicMetrics and GroupMetrics serve our families per topic and per
	// consumer group; MessageRates the broker's minute-window message
	// rates per topic and group (collector/sets.go).
	TopicMetrics, GroupMetrics, MessageRates bool
	LeakProbes                               int
	// LeakReprobe is how long a stat key found held waits before it is
	// asked again.
	LeakReprobe time.Duration
	TombTTL     time.Duration
	MaxTombs    int
	MaxSeries   int
	ExpandLMQ   bool
	// OfflineRefresh is how many cycles an offline group's connection list
	// is reused before it is asked again.
	OfflineRefresh int
	// IdleTopicRefresh is how many cycles a still, unconsumed topic's
	// offsets are reused before they are asked again.
	IdleTopicRefresh int
	TopicInclude     string
	TopicExclude     string
	GroupInclude     string
	GroupExclude     string
	TelemetryPath    string
	ListenAddress    string
	// ExternalURL is where users reach the exporter (behind a proxy); its
	// path is the default RoutePrefix. RoutePrefix is the path every
	// endpoint is served under. Both as in Prometheus.
	ExternalURL string
	RoutePrefix string
	// HistoryURL is a Prometheus that scraped this exporter: the topics and
	// groups it served within HistoryWindow are recalled after a restart.
	HistoryURL      string
	HistoryWindow   time.Duration
	HistorySelector string // label matchers narrowing what is read back
	// StateFile keeps deleted topics and groups across restarts.
	StateFile string
	// ShardCount replicas split the topics, groups and brokers between
	// them; this one is ShardIndex (package shard). 1 is unsharded.
	ShardCount int
	ShardIndex int
}

// Defaults are every option's default, and the only place one is written
// down: the flags, the tests and embedders take them from here, and the
// collection and leak defaults come from the packages that own those knobs.
func Defaults() Settings {
	pc, lc := poller.DefaultConfig(), leak.DefaultConfig()
	return Settings{Timeout: pc.CallTimeout, Interval: pc.Interval, CycleTimeout: pc.CycleTimeout,
		BrokerConc: pc.BrokerConcurrency, CallConc: pc.CallConcurrency, Grace: pc.GraceCycles,
		OfflineRefresh: pc.OfflineRefreshCycles, IdleTopicRefresh: pc.IdleTopicRefreshCycles,
		LagSeconds: pc.LagSeconds, LagSecondsBudget: pc.LagSecondsBudget, QueueMetrics: pc.QueueDetail, ExpandLMQ: pc.ExpandLMQ,
		RunningInfo: pc.ClientRunningInfo, ClientMetrics: true, TopicMetrics: true, GroupMetrics: true,
		LeakProbes: lc.Probes, LeakReprobe: lc.Reprobe, TombTTL: lc.TTL, MaxTombs: lc.MaxTombstones,
		TelemetryPath: "/metrics", ListenAddress: ":5557", HistoryWindow: history.DefaultWindow, ShardCount: 1}
}

// Core is what talks to RocketMQ: the settings, the clients, the poller's
// config and the history of deleted names. The serving exporter and the
// audit both build it; only the exporter adds the serving stack (App).
type Core struct {
	Settings Settings
	Targets  []Target
	Remoting *remoting.Client
	Admin    *admin.Client
	RPC      *rpcstats.Recorder
	Registry *prometheus.Registry
	Config   poller.Config
	Leaks    *leak.Planner
	// History recalls the topics and groups served before this process
	// started: Prometheus, the state file, or both merged; nil when neither
	// is configured. State is the state file, for saving; nil when unset.
	History history.Source
	State   *history.File
	Logger  *slog.Logger
}

// App is an assembled exporter: a Core plus the poller that runs cycles,
// the metrics cache and the web handler.
type App struct {
	*Core
	Poller  *poller.Poller
	Cache   *collector.Cache
	Handler http.Handler
}

// NewCore validates s and builds the clients and the poller's config;
// nothing talks to RocketMQ yet.
func NewCore(s Settings, logger *slog.Logger) (*Core, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	targets, err := ParseTargets(s.Namesrvs)
	if err != nil {
		return nil, err
	}
	topics, err := filter.New(s.TopicInclude, s.TopicExclude)
	if err != nil {
		return nil, fmt.Errorf("--topic.include/--topic.exclude: %w", err)
	}
	groups, err := filter.New(s.GroupInclude, s.GroupExclude)
	if err != nil {
		return nil, fmt.Errorf("--group.include/--group.exclude: %w", err)
	}
	share, err := shard.New(s.ShardCount, s.ShardIndex)
	if err != nil {
		return nil, err
	}
	proxies, err := parseProxies(s.Proxies, targets)
	if err != nil {
		return nil, err
	}
	hist, state, err := historySources(s, logger)
	if err != nil {
		return nil, err
	}
	c := &Core{Settings: s, Targets: targets, Registry: prometheus.NewRegistry(), History: hist, State: state, Logger: logger}
	c.RPC = rpcstats.New()
	ropts, err := remotingOptions(s, c.RPC)
	if err != nil {
		return nil, err
	}
	c.Remoting = remoting.NewClient(ropts)
	c.Admin = admin.New(c.Remoting)
	c.Admin.OnDecodeError(c.RPC.DecodeFailed)
	c.Config = poller.Config{Targets: namesrvSets(targets), TargetNames: targetNames(targets), Interval: s.Interval,
		CycleTimeout: s.CycleTimeout, CallTimeout: s.Timeout, BrokerConcurrency: s.BrokerConc, CallConcurrency: s.CallConc,
		GraceCycles: s.Grace, Topics: topics, Groups: groups, LagSecondsBudget: s.LagSecondsBudget, QueueDetail: s.QueueMetrics,
		ExpandLMQ: s.ExpandLMQ, OfflineRefreshCycles: s.OfflineRefresh, IdleTopicRefreshCycles: s.IdleTopicRefresh,
		ClientRunningInfo: s.RunningInfo, LagSeconds: s.LagSeconds, Proxies: proxies, Shard: share, Logger: logger,
		PutMessageRates: s.MessageRates || s.Compat,       // the families that serve TOPIC_PUT_NUMS
		AckRates:        s.MessageRates && s.GroupMetrics} // and GROUP_ACK_NUMS
	if err := c.Config.Validate(); err != nil {
		c.Remoting.Close()
		return nil, err
	}
	if s.LeakProbes > 0 {
		lc := leak.Config{Probes: s.LeakProbes, Reprobe: s.LeakReprobe, TTL: s.TombTTL, MaxTombstones: s.MaxTombs}
		if c.Leaks, err = leak.New(lc); err != nil {
			c.Remoting.Close()
			return nil, err
		}
		c.Config.Leaks, c.Config.History, c.Config.State = c.Leaks, c.History, c.State
	}
	return c, nil
}

// validate rejects settings that contradict each other; the poller and
// the leak planner check their own ranges.
func (s Settings) validate() error {
	switch {
	case (s.AccessKey == "") != (s.SecretKey == ""):
		return errors.New("--rocketmq.access-key and --rocketmq.secret-key go together")
	case s.RunningInfo && !s.ClientMetrics:
		// Rejected rather than implied: the calls cost one per client per
		// cycle, and their figures are served only by per-client families.
		return errors.New("--collect.client-running-info needs --collect.client-metrics: its figures are served only in the per-client families")
	case s.LeakProbes < 0:
		return errors.New("--leak.probes must not be negative (0 disables leak probing)")
	case s.MaxSeries < 0:
		return errors.New("--collect.max-series must not be negative (0 means no cap)")
	}
	_, err := s.routePrefix()
	return err
}

// routePrefix is --web.route-prefix, else the path of --web.external-url,
// as Prometheus derives it.
func (s Settings) routePrefix() (string, error) {
	prefix := s.RoutePrefix
	if s.ExternalURL != "" {
		u, err := url.Parse(s.ExternalURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return "", fmt.Errorf("--web.external-url %q: want an absolute URL such as https://example.org/rocketmq/", s.ExternalURL)
		}
		if prefix == "" {
			prefix = u.Path
		}
	}
	if prefix != "" && !strings.HasPrefix(prefix, "/") {
		return "", fmt.Errorf("--web.route-prefix %q: want a path starting with /", prefix)
	}
	return prefix, nil
}

// shardAnswerBudget bounds the large answers (the broker-wide listings)
// a sharded replica holds at once: every replica must read every broker's
// listings, several MiB each at 100k topics, and read all at once they
// were most of a replica's peak heap. One at a time (the others wait in
// their sockets) costs little time, since a replica's per-entity calls
// are a quarter of the whole. An unsharded exporter reads them at once.
const shardAnswerBudget = 8 << 20

func remotingOptions(s Settings, rec *rpcstats.Recorder) (remoting.Options, error) {
	opts := remoting.Options{Observer: rec, DialTimeout: s.Timeout}
	if s.ShardCount > 1 {
		opts.AnswerBudget = shardAnswerBudget
	}
	if s.AccessKey != "" {
		opts.Credentials = &remoting.Credentials{AccessKey: s.AccessKey, SecretKey: s.SecretKey}
	}
	if !s.TLS {
		// Said rather than implied: TLS to a port that speaks plain TCP
		// fails every call, so it is turned on in one place only.
		if f := tlsFlagGiven(s); f != "" {
			return opts, fmt.Errorf("%s needs --rocketmq.tls", f)
		}
		return opts, nil
	}
	if s.TLSInsecure && s.TLSCAFile != "" {
		return opts, errors.New("--rocketmq.tls.insecure-skip-verify ignores --rocketmq.tls.ca-file: give one of them")
	}
	cfg, err := remoting.TLSFiles{CAFile: s.TLSCAFile, CertFile: s.TLSCertFile, KeyFile: s.TLSKeyFile,
		ServerName: s.TLSServerName, InsecureSkipVerify: s.TLSInsecure}.Config()
	if err != nil {
		return opts, tlsFileFlagError(err)
	}
	opts.TLS = cfg
	return opts, nil
}

// tlsFlagGiven names the first --rocketmq.tls.* setting given, or "".
func tlsFlagGiven(s Settings) string {
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"--rocketmq.tls.ca-file", s.TLSCAFile != ""}, {"--rocketmq.tls.cert-file", s.TLSCertFile != ""},
		{"--rocketmq.tls.key-file", s.TLSKeyFile != ""}, {"--rocketmq.tls.server-name", s.TLSServerName != ""},
		{"--rocketmq.tls.insecure-skip-verify", s.TLSInsecure},
	} {
		if f.set {
			return f.name
		}
	}
	return ""
}

// tlsFileFlagError prefixes a TLS file error with the flag that named the file.
func tlsFileFlagError(err error) error {
	var fe *remoting.TLSFileError
	if !errors.As(err, &fe) {
		return err
	}
	flag := map[string]string{"ca": "--rocketmq.tls.ca-file", "cert": "--rocketmq.tls.cert-file", "key": "--rocketmq.tls.key-file"}[fe.Field]
	return fmt.Errorf("%s: %w", flag, err)
}

// New validates s and builds every part; nothing talks to RocketMQ yet.
func New(s Settings, logger *slog.Logger) (*App, error) {
	c, err := NewCore(s, logger)
	if err != nil {
		return nil, err
	}
	a := &App{Core: c}
	if a.Poller, err = poller.New(c.Config, c.Admin, c.RPC); err != nil {
		c.Remoting.Close()
		return nil, err
	}
	// Each snapshot's families are encoded once, right after it is
	// published; scrapes send those bytes. Only the clock-bound family and
	// client_golang's runtime, process and build-info collectors are
	// gathered per scrape.
	a.Cache = collector.NewCache(collector.Options{Compat: s.Compat, QueueMetrics: s.QueueMetrics,
		ClientMetrics: s.ClientMetrics, NoTopicMetrics: !s.TopicMetrics, NoGroupMetrics: !s.GroupMetrics,
		MessageRates: s.MessageRates, MaxSeries: s.MaxSeries, Logger: c.Logger, Targets: targetNames(c.Targets)})
	a.Poller.Subscribe(a.Cache.BuildAsync)
	a.Registry.MustRegister(a.Cache.Live(), versioncollector.NewCollector(Name),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	prefix, _ := s.routePrefix() // validated by NewCore
	a.Handler = web.NewRouter(web.Options{TelemetryPath: s.TelemetryPath, Version: version.Version, RoutePrefix: prefix,
		Gatherer: a.Registry, Cached: a.Cache, Source: a.Poller, Series: a.Cache, Logger: c.Logger})
	return a, nil
}

// Cycle runs one collection and waits until its metrics are encoded, so a
// scrape right after it serves this cycle (Run encodes in the background).
func (a *App) Cycle(ctx context.Context) *snapshot.Snapshot {
	s := a.Poller.Cycle(ctx)
	a.Cache.Build(s)
	return s
}

// historySources builds what recalls deleted topics and groups across
// restarts; the leak prober and audit read it.
func historySources(s Settings, logger *slog.Logger) (history.Source, *history.File, error) {
	if s.HistoryURL == "" && s.HistorySelector != "" {
		return nil, nil, errors.New("--leak.history-selector needs --leak.history-url")
	}
	var srcs history.Sources
	if s.HistoryURL != "" {
		p, err := history.NewPrometheus(history.PrometheusConfig{URL: s.HistoryURL, Window: s.HistoryWindow,
			Selector: s.HistorySelector, Logger: logger})
		if err != nil {
			return nil, nil, fmt.Errorf("--leak.history-*: %w", err)
		}
		srcs = append(srcs, p)
	}
	var state *history.File
	if s.StateFile != "" {
		f, err := history.NewFile(s.StateFile, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("--leak.state-file: %w", err)
		}
		state = f
		srcs = append(srcs, f)
	}
	switch len(srcs) {
	case 0:
		return nil, nil, nil // a nil interface, not a nil Sources
	case 1:
		return srcs[0], state, nil
	}
	return srcs, state, nil
}

// Close releases the connections.
func (c *Core) Close() error { return c.Remoting.Close() }

// Target is one --rocketmq.namesrv-addr value: a cluster's namesrvs and
// the name its series carry in the target label when there are several.
type Target struct {
	Name     string
	Namesrvs []string
}

// ParseTargets reads repeated --rocketmq.namesrv-addr values: each is one
// cluster's namesrvs, separated by ';' or ',', optionally named with a
// "name=" prefix; the name defaults to the addresses joined with ';'.
// Names must be unique: they keep twin clusters' series apart.
func ParseTargets(values []string) ([]Target, error) {
	if len(values) == 0 {
		return nil, errors.New("--rocketmq.namesrv-addr is required")
	}
	var out []Target
	named := map[string]bool{}
	for _, v := range values {
		t, err := parseTarget(v)
		if err != nil {
			return nil, fmt.Errorf("--rocketmq.namesrv-addr: %w", err)
		}
		if named[t.Name] {
			return nil, fmt.Errorf("--rocketmq.namesrv-addr: two targets are named %q; give each its own name= prefix", t.Name)
		}
		named[t.Name] = true
		out = append(out, t)
	}
	return out, nil
}

// parseTarget reads one value: [name=]host:port[;host:port...].
func parseTarget(v string) (Target, error) {
	var t Target
	addrs := v
	if name, rest, ok := strings.Cut(v, "="); ok {
		t.Name, addrs = strings.TrimSpace(name), rest
		if t.Name == "" {
			return t, fmt.Errorf("%q has an empty name before '='", v)
		}
		if strings.ContainsAny(t.Name, ";,") {
			return t, fmt.Errorf("%q: a target name may not contain ';' or ','", v)
		}
	}
	for _, a := range strings.FieldsFunc(addrs, func(r rune) bool { return r == ';' || r == ',' }) {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if !strings.Contains(a, ":") {
			return t, fmt.Errorf("%q has no port (want host:port)", a)
		}
		t.Namesrvs = append(t.Namesrvs, a)
	}
	if len(t.Namesrvs) == 0 {
		return t, fmt.Errorf("%q names no address", v)
	}
	if t.Name == "" {
		t.Name = strings.Join(t.Namesrvs, ";")
	}
	return t, nil
}

func namesrvSets(ts []Target) [][]string {
	out := make([][]string, len(ts))
	for i, t := range ts {
		out[i] = t.Namesrvs
	}
	return out
}

func targetNames(ts []Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}
