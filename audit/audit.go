// Package audit runs one collection pass with unbounded leak probing and
// reports, per broker, what deleted topics and groups left behind, with
// the mqadmin commands that clean what can be cleaned.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/history"
	"github.com/rocketmq-exporter/rocketmq_exporter/leak"
	"github.com/rocketmq-exporter/rocketmq_exporter/leakcost"
	"github.com/rocketmq-exporter/rocketmq_exporter/poller"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// Report is one broker's leftovers (or a namesrv target's error).
type Report struct {
	Cluster         string                    `json:"cluster"`
	Broker          string                    `json:"broker"`
	Addr            string                    `json:"addr"`
	Version         string                    `json:"version"`
	Config          map[string]string         `json:"cleanup_config,omitempty"`
	LeakedStatItems []snapshot.LeakedItem     `json:"leaked_stat_items"`
	OrphanedOffsets []snapshot.OrphanedOffset `json:"orphaned_offsets"`
	LeftoverTopics  []string                  `json:"leftover_topics"`
	Commands        []string                  `json:"cleanup_commands"`
	Error           string                    `json:"error,omitempty"`
	// Incomplete says why the findings may not be all there are.
	Incomplete string `json:"incomplete,omitempty"`

	// LeakedStatBytes estimates the heap the leaked items hold, those
	// inferred from them included (package leakcost); Freeing says what
	// frees it.
	LeakedStatBytes   int64          `json:"leaked_stat_bytes_estimate"`
	InferredStatItems map[string]int `json:"inferred_stat_items,omitempty"`
	CostCalibration   string         `json:"cost_calibration,omitempty"`
	Freeing           string         `json:"freeing,omitempty"`
}

// Exit codes of the audit command.
const (
	Clean     = 0
	Leftovers = 1
	Failed    = 2
)

// Run runs one cycle with unbounded probing and returns every broker's
// report and the exit code: Clean, Leftovers, or Failed when a namesrv or
// broker did not answer or the pass ended before every key was asked (its
// findings are then reported, marked incomplete). running is the snapshot
// of an exporter running beside the audit (a.Leaks then its planner), nil
// for a standalone audit: the masters it knows, those it forgot past its
// grace cycles and those the history recalls keep a cluster-wide deletion
// from being suggested while one of them is missing from the namesrv.
func Run(ctx context.Context, a *app.Core, running *snapshot.Snapshot) ([]Report, int) {
	cfg := a.Config
	lc := leak.DefaultConfig()
	lc.Probes = 1 << 20 // one pass asks every key it can think of
	cfg.Leaks, _ = leak.New(lc)
	// The same history as the daemon's, read before the pass; audit writes
	// no state file of its own.
	cfg.History, cfg.RecallWait, cfg.State = a.History, true, nil
	rec := &recording{src: a.History}
	if a.History != nil {
		cfg.History = rec
	}
	cfg.LagSeconds = false
	// One pass that probes everything: the daemon's --collect.timeout is
	// for its interval, not for this; ctx still bounds it.
	cfg.CycleTimeout = max(10*a.Settings.Interval, auditTimeout)
	p, err := poller.New(cfg, a.Admin, nil)
	if err != nil {
		return []Report{{Error: err.Error()}}, Failed
	}
	snap := p.Cycle(ctx)
	known := remembered(a, running, rec.names())
	var reports []Report
	failed := false
	for _, t := range snap.Targets {
		if !t.Up {
			failed = true
			reports = append(reports, Report{Cluster: strings.Join(t.Namesrvs, ";"), Error: t.Err})
		}
	}
	found := false
	for _, b := range snap.Brokers {
		if !b.IsMaster() || !snap.Shard.OwnsBroker(b.Cluster, b.Name) {
			continue // under --shard.count, another replica audits that broker
		}
		r := Report{Cluster: b.Cluster, Broker: b.Name, Addr: b.Addr, Version: b.Version, Config: b.Config}
		if !b.Up {
			failed = true
			r.Error = b.Err
		} else if b.Leaks != nil {
			r.LeakedStatItems, r.OrphanedOffsets, r.LeftoverTopics = b.Leaks.Items, b.Leaks.OrphanedOffsets, b.Leaks.LeftoverTopics
			r.Commands = cleanupCommands(a.Targets, b, topicElsewhere(snap, missing(snap, known, b), cfg.Leaks, b))
			r.estimate(b, snap.Finished)
			found = found || len(r.LeakedStatItems)+len(r.OrphanedOffsets)+len(r.LeftoverTopics) > 0
			if b.Leaks.Backlog > 0 || b.Cut {
				failed = true
				r.Incomplete = fmt.Sprintf("the pass ended (deadline or failed calls) with %d stat keys not asked: what is listed is true, but more may be held", b.Leaks.Backlog)
			}
		}
		reports = append(reports, r)
	}
	switch {
	case failed:
		return reports, Failed
	case found:
		return reports, Leftovers
	}
	return reports, Clean
}

// auditTimeout is the least time one audit pass gets.
const auditTimeout = 2 * time.Minute

// estimate prices the broker's leaked items (see package leakcost) and
// says what frees them.
func (r *Report) estimate(b *snapshot.Broker, at time.Time) {
	e := leakcost.Of(b.Leaks, b.Version, leakcost.Age(b.BootTime, at))
	r.LeakedStatBytes, r.CostCalibration = e.Bytes, e.Calibration
	if len(e.Inferred) > 0 {
		r.InferredStatItems = e.Inferred
	}
	if len(b.Leaks.Items) == 0 {
		return
	}
	r.Freeing = "restart the broker: a restart frees every stat item"
	switch b.Config["autoDeleteUnusedStats"] {
	case "false":
		r.Freeing += fmt.Sprintf("; and set autoDeleteUnusedStats=true (RocketMQ 4.7.1+) so deletions stop leaking: in broker.conf, "+
			"or at once with mqadmin updateBrokerConfig -b '%s' -k autoDeleteUnusedStats -v true (the broker reads it at each deletion)", b.Addr)
	case "true":
		r.Freeing += "; autoDeleteUnusedStats is on already: what still leaks with it (SNDBCK2DLQ_TIMES on 5.x, the items of " +
			"%RETRY%/%DLQ% topics until those are deleted) has no other cure"
	}
}

// Total is the estimate over every broker of an audit.
type Total struct {
	LeakedStatBytes int64 `json:"leaked_stat_bytes_estimate"`
	Brokers         int   `json:"brokers"`
}

// Sum adds up the reports' estimates.
func Sum(reports []Report) Total {
	var t Total
	for _, r := range reports {
		if r.Broker != "" {
			t.Brokers++
			t.LeakedStatBytes += r.LeakedStatBytes
		}
	}
	return t
}

// Write prints reports as text or, with format "json", as a JSON array of
// the reports followed by one element {"total": Total}.
func Write(out io.Writer, reports []Report, format string) error {
	if format == "json" {
		all := make([]any, 0, len(reports)+1)
		for _, r := range reports {
			all = append(all, r)
		}
		all = append(all, struct {
			Total Total `json:"total"`
		}{Sum(reports)})
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	printAudit(out, reports)
	t := Sum(reports)
	fmt.Fprintf(out, "total: about %s of broker heap held by leaked stat items, over %d broker(s) (estimate: %s)\n",
		humanBytes(t.LeakedStatBytes), t.Brokers, leakcost.Calibration)
	return nil
}

// humanBytes writes n in binary units, as heap sizes are set.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, u := float64(n), 0
	for v >= unit && u < 4 {
		v /= unit
		u++
	}
	return fmt.Sprintf("%.1f %ciB (%d bytes)", v, "KMGT"[u-1], n)
}

// cleanupCommands gives the mqadmin commands that remove what can be
// removed without a restart, each sent to the namesrvs of the broker's own
// target: twin clusters can share cluster and broker names, and a command
// sent to the other target's namesrvs would act on the other cluster.
//
// mqadmin deletes a topic on every broker of the cluster (-c): a topic
// gone from this broker but alive on another master of the cluster, or one
// whose other masters could not be read, gets a comment, never a command.
func cleanupCommands(targets []app.Target, b *snapshot.Broker, elsewhere func(topic string) string) []string {
	ns := ""
	if b.Target >= 0 && b.Target < len(targets) {
		ns = strings.Join(targets[b.Target].Namesrvs, ";")
	}
	seen := map[string]bool{}
	var cmds []string
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			cmds = append(cmds, c)
		}
	}
	deleteTopic := func(t string) {
		if where := elsewhere(t); where != "" {
			add(fmt.Sprintf("# not deleting %s cluster-wide: %s; remove it from %s alone (DELETE_TOPIC_IN_BROKER), or leave it", t, where, b.Addr))
			return
		}
		add(fmt.Sprintf("mqadmin deleteTopic -n '%s' -c '%s' -t '%s'", ns, b.Cluster, t))
	}
	for _, t := range b.Leaks.LeftoverTopics {
		deleteTopic(t)
	}
	for _, o := range b.Leaks.OrphanedOffsets {
		switch o.Missing {
		case "group":
			add(fmt.Sprintf("mqadmin deleteSubGroup -n '%s' -b '%s' -g '%s' -r true", ns, b.Addr, o.Group))
		default:
			// Deleting a topic in the broker clears its offsets even when its config is gone.
			deleteTopic(o.Topic)
		}
	}
	if len(b.Leaks.Items) > 0 {
		add(fmt.Sprintf("# %d leaked stat items on %s are only freed by a broker restart; set autoDeleteUnusedStats=true (4.7.1+) so deletions clean them", len(b.Leaks.Items), b.Addr))
	}
	return cmds
}

// topicElsewhere tells, for a topic, why deleting it across b's cluster
// would hurt: another master of the cluster holds it, or another master's
// topics are unknown this pass (it did not answer, or it is remembered but
// not listed now, gone: a killed broker still holds its topics, and
// mqadmin run after its restart would delete them). "" when it is safe.
func topicElsewhere(snap *snapshot.Snapshot, gone []string, planner *leak.Planner, b *snapshot.Broker) func(string) string {
	return func(topic string) string {
		if len(gone) > 0 {
			return fmt.Sprintf("master %s of cluster %s is known but not listed now, so whether it holds %s is unknown "+
				"(a master gone for good stays known until its entry leaves the state file, --leak.state-file)",
				strings.Join(gone, ", "), b.Cluster, topic)
		}
		for _, o := range snap.Brokers {
			if o == b || !o.IsMaster() || o.Target != b.Target || o.Cluster != b.Cluster {
				continue
			}
			if !o.Up {
				return fmt.Sprintf("master %s of cluster %s did not answer, so whether it holds %s is unknown", o.Name, o.Cluster, topic)
			}
			if planner.Exists(o.Key(), leak.KindTopic, topic) {
				return fmt.Sprintf("master %s of cluster %s still holds it", o.Name, o.Cluster)
			}
		}
		return ""
	}
}

// printEstimate prints the heap estimate of a broker's leaked items and
// what frees it.
func printEstimate(out io.Writer, r Report) {
	if r.CostCalibration == "" {
		fmt.Fprintf(out, "  heap held by leaked stat items: not estimated (no calibration for %s)\n", r.Version)
		return
	}
	inferred := 0
	for _, n := range r.InferredStatItems {
		inferred += n
	}
	fmt.Fprintf(out, "  heap held by leaked stat items: about %s (estimate: %d probed and %d inferred items, costs of %s)\n",
		humanBytes(r.LeakedStatBytes), len(r.LeakedStatItems), inferred, r.CostCalibration)
	for _, s := range sortedKeys(r.InferredStatItems) {
		fmt.Fprintf(out, "    inferred %s %d\n", s, r.InferredStatItems[s])
	}
	if r.Freeing != "" {
		fmt.Fprintf(out, "  freeing it: %s\n", r.Freeing)
	}
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func printAudit(out io.Writer, reports []Report) {
	for _, r := range reports {
		if r.Broker == "" {
			fmt.Fprintf(out, "namesrv %s: ERROR %s\n", r.Cluster, r.Error)
			continue
		}
		fmt.Fprintf(out, "broker %s/%s (%s, %s)\n", r.Cluster, r.Broker, r.Addr, r.Version)
		if r.Error != "" {
			fmt.Fprintf(out, "  ERROR %s\n", r.Error)
			continue
		}
		if len(r.Config) > 0 {
			keys := make([]string, 0, len(r.Config))
			for k := range r.Config {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			fmt.Fprint(out, "  config:")
			for _, k := range keys {
				fmt.Fprintf(out, " %s=%s", k, r.Config[k])
			}
			fmt.Fprintln(out)
		}
		if r.Incomplete != "" {
			fmt.Fprintf(out, "  INCOMPLETE %s\n", r.Incomplete)
		}
		fmt.Fprintf(out, "  leaked stat items: %d\n", len(r.LeakedStatItems))
		for _, it := range r.LeakedStatItems {
			fmt.Fprintf(out, "    %s %s (deleted %s %s)\n", it.Stats, it.Key, it.Kind, it.Subject)
		}
		printEstimate(out, r)
		fmt.Fprintf(out, "  orphaned consumer offsets: %d\n", len(r.OrphanedOffsets))
		for _, o := range r.OrphanedOffsets {
			fmt.Fprintf(out, "    %s@%s (missing %s)\n", o.Topic, o.Group, o.Missing)
		}
		fmt.Fprintf(out, "  leftover retry/DLQ topics: %d\n", len(r.LeftoverTopics))
		for _, t := range r.LeftoverTopics {
			fmt.Fprintf(out, "    %s\n", t)
		}
		for _, c := range r.Commands {
			fmt.Fprintf(out, "  $ %s\n", c)
		}
	}
}

// master names a broker group something outside this pass remembers.
// target is -1 when the source does not say: a planner key names no
// target, so such a master counts for every target with its cluster.
type master struct {
	target        int
	cluster, name string
}

// remembered lists the masters known outside this pass: in the running
// exporter's last snapshot (within its grace cycles), forgotten by its
// leak planner since (out of the namesrv past grace), and recalled by the
// history (the state file, Prometheus).
func remembered(a *app.Core, running *snapshot.Snapshot, recalled map[history.Broker]history.Names) []master {
	var out []master
	if running != nil {
		for _, o := range running.Brokers {
			if o.IsMaster() {
				out = append(out, master{o.Target, o.Cluster, o.Name})
			}
		}
	}
	if running != nil && a.Leaks != nil {
		for _, key := range a.Leaks.Departed() {
			if m, ok := fromKey(key); ok {
				out = append(out, m)
			}
		}
	}
	for hk := range recalled {
		if t := targetIndex(a.Targets, hk.Target); t >= 0 {
			out = append(out, master{t, hk.Cluster, hk.Broker})
		}
	}
	return out
}

// fromKey reads a planner's broker key, cluster/name/addr as
// snapshot.Broker.Key writes it. RocketMQ makes a topic of each cluster
// and broker name, and topic names hold no '/', so the split is exact.
func fromKey(key string) (master, bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return master{}, false
	}
	return master{-1, parts[0], parts[1]}, true
}

// targetIndex maps a history key's target (its name; "" when the exporter
// watches one target) to the target's index, -1 when none matches.
func targetIndex(targets []app.Target, name string) int {
	if name == "" {
		if len(targets) == 1 {
			return 0
		}
		return -1
	}
	for i, t := range targets {
		if t.Name == name {
			return i
		}
	}
	return -1
}

// missing lists, sorted, the remembered masters of b's cluster that this
// pass's namesrv does not list.
func missing(snap *snapshot.Snapshot, known []master, b *snapshot.Broker) []string {
	var out []string
	for _, m := range known {
		if (m.target >= 0 && m.target != b.Target) || m.cluster != b.Cluster || m.name == b.Name {
			continue
		}
		if !listed(snap, b.Target, m.cluster, m.name) && !slices.Contains(out, m.name) {
			out = append(out, m.name)
		}
	}
	sort.Strings(out)
	return out
}

// listed reports whether a pass's snapshot holds the broker group.
func listed(snap *snapshot.Snapshot, target int, cluster, name string) bool {
	for _, b := range snap.Brokers {
		if b.Target == target && b.Cluster == cluster && b.Name == name {
			return true
		}
	}
	return false
}

// recording is the history as the audit pass reads it, keeping what it
// recalled: the brokers it names are masters the audit must not forget,
// and reading the source again could cost a second Prometheus query.
type recording struct {
	src history.Source
	mu  sync.Mutex
	got map[history.Broker]history.Names
}

func (r *recording) Recall(ctx context.Context) (map[history.Broker]history.Names, error) {
	m, err := r.src.Recall(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = m
	return m, err
}

func (r *recording) names() map[history.Broker]history.Names {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got
}
