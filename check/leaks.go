package check

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/audit"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// checkLeaks is I3 on the daemon's leak families, for every broker this
// cycle reached: every leaked item whose probe bound has passed is
// counted, nothing the broker does not leak is (once a restart or a
// re-creation has had ProbeSlack cycles to show), and the orphaned offsets
// and leftover topics are exactly the broker's.
func (k *checker) checkLeaks(sc *scrape, m *model, _ *snapshot.Snapshot) {
	for _, r := range m.order {
		t, b := k.tracks[r], m.brokers[r]
		if !t.reached || t.reachedBy != k.builtAt {
			continue
		}
		served := map[string]float64{}
		for _, s := range mine(sc, m, r, "rocketmq_broker_leaked_stat_items", brokerLabels(b)) {
			served[s.labels["stats"]] += s.value
		}
		held := map[string]int{}
		for key := range b.leaked {
			held[key.stats]++
		}
		need := map[string][]itemKey{}
		for key := range t.required(k.cycle, b) {
			need[key.stats] = append(need[key.stats], key)
		}
		for _, stats := range sortedStats(need) {
			// The stats name is part of the check: each stats' bound is its own.
			if got := served[stats]; got < float64(len(need[stats])) {
				k.fail("I3", "%s reports %g "+stats+" items; the broker leaks %d whose probe bound has passed (%s)",
					b.view.Name, got, len(need[stats]), itemList(need[stats], b))
				return
			}
		}
		if k.cycle >= t.shrunk+ProbeSlack {
			for stats, got := range served {
				if got > float64(held[stats]) {
					k.fail("I3", "%s reports %g "+stats+" items; the broker holds %d for deleted subjects", b.view.Name, got, held[stats])
					return
				}
			}
		}
		k.checkCount(sc, m, r, "rocketmq_broker_orphaned_consumer_offsets", len(b.view.Orphans), "orphaned offsets")
		k.checkCount(sc, m, r, "rocketmq_broker_leftover_topics", len(b.view.Leftovers), "leftover retry/DLQ topics")
	}
}

func (k *checker) checkCount(sc *scrape, m *model, r ref, fam string, want int, what string) {
	b := m.brokers[r]
	ss := mine(sc, m, r, fam, brokerLabels(b))
	if len(ss) == 0 {
		return
	}
	got := 0.0
	for _, s := range ss {
		got += s.value
	}
	if got != float64(want) {
		k.fail("I3", "%s reports %g %s; the broker has %d (%v)", b.view.Name, got, what, want, k.w.filters)
	}
}

func sortedStats(m map[string][]itemKey) []string {
	out := make([]string, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func itemList(keys []itemKey, b *brokerModel) string {
	var parts []string
	for _, key := range keys {
		it := b.leaked[key]
		parts = append(parts, fmt.Sprintf("%s %s of deleted %s %s", it.Stats, it.Key, it.Kind, it.Subject))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// auditReport is the part of `audit --output=json` the checks read.
type auditReport struct {
	Cluster string `json:"cluster"`
	Broker  string `json:"broker"`
	Addr    string `json:"addr"`
	Leaked  []struct {
		Stats, Key, Subject, Kind string
	} `json:"leaked_stat_items"`
	Orphans []struct {
		Topic, Group, Missing string
	} `json:"orphaned_offsets"`
	Leftovers []string `json:"leftover_topics"`
	Commands  []string `json:"cleanup_commands"`
	Error     string   `json:"error"`
}

// runAudit runs `audit` beside the daemon, as an operator would, and
// reads its JSON output.
func (k *checker) runAudit() ([]auditReport, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reports, _ := audit.Run(ctx, k.w.app.Core, k.w.app.Poller.Snapshot())
	var buf bytes.Buffer
	if err := audit.Write(&buf, reports, "json"); err != nil {
		return nil, err
	}
	var out []auditReport
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("audit JSON: %w", err)
	}
	return out, nil
}

// checkAudit runs `audit` and checks its report: I3 (what it calls leaked
// or orphaned is, and it misses no leak the exporter could know of) and
// I4 (no command deletes a live topic or group; every command names the
// namesrvs of the broker it concerns).
func (k *checker) checkAudit(m *model) {
	reps, err := k.runAudit()
	if err != nil {
		k.fail("I3", "%v", err)
		return
	}
	for _, rep := range reps {
		if rep.Addr == "" {
			continue // a namesrv target's error
		}
		r, ok := m.byAddr(rep.Addr)
		if !ok {
			k.fail("I4", "audit reports broker %s (%s), which no watched cluster has", rep.Broker, rep.Addr)
			return
		}
		k.checkCommands(m, r, rep)
		if rep.Error == "" {
			k.checkAuditLeaks(m, r, rep)
		}
	}
}

func (m *model) byAddr(addr string) (ref, bool) {
	for _, r := range m.order {
		if m.brokers[r].view.Addr == addr {
			return r, true
		}
	}
	return ref{}, false
}

func (k *checker) checkAuditLeaks(m *model, r ref, rep auditReport) {
	b := m.brokers[r]
	got := map[itemKey]bool{}
	for _, it := range rep.Leaked {
		key := itemKey{it.Stats, it.Key}
		got[key] = true
		if live(b, it.Kind, it.Subject) {
			k.fail("I3", "audit reports %s %s as leaked by deleted %s %s, which is live on %s (%s)",
				it.Stats, it.Key, it.Kind, it.Subject, b.view.Name, k.w.filters)
			return
		}
		if _, ok := b.leaked[key]; !ok {
			k.fail("I3", "audit reports %s %s (deleted %s %s), which %s does not hold for a deleted subject",
				it.Stats, it.Key, it.Kind, it.Subject, b.view.Name)
			return
		}
	}
	var missed []itemKey
	for key := range k.tracks[r].knowable(b) {
		if !got[key] {
			missed = append(missed, key)
		}
	}
	if len(missed) > 0 {
		k.fail("I3", "audit misses %d leaked item(s) on %s the exporter saw the deletion of: %s",
			len(missed), b.view.Name, itemList(missed, b))
		return
	}
	for _, o := range rep.Orphans {
		if b.topics[o.Topic] && b.groups[o.Group] {
			k.fail("I3", "audit reports the offsets of live topic %s and live group %s on %s as orphaned (%s)",
				o.Topic, o.Group, b.view.Name, k.w.filters)
			return
		}
	}
	for _, name := range rep.Leftovers {
		if !in(b.view.Leftovers, name) {
			k.fail("I3", "audit reports %s on %s as a leftover topic; the broker's leftovers are %v (%s)",
				name, b.view.Name, b.view.Leftovers, k.w.filters)
			return
		}
	}
}

func live(b *brokerModel, kind, name string) bool {
	if kind == "group" {
		return b.groups[name]
	}
	return b.topics[name]
}

var flagRE = regexp.MustCompile(`(?:^|\s)-([a-zA-Z])\s+(?:'([^']*)'|"([^"]*)"|([^\s'"]+))`)

// parseCommand reads "mqadmin <verb> -x 'value' ..." into its verb and flags.
func parseCommand(cmd string) (string, map[string]string) {
	fields := strings.Fields(cmd)
	verb := ""
	if len(fields) > 1 && fields[0] == "mqadmin" {
		verb = fields[1]
	}
	flags := map[string]string{}
	for _, f := range flagRE.FindAllStringSubmatch(cmd, -1) {
		flags[f[1]] = f[2] + f[3] + f[4]
	}
	return verb, flags
}

// checkCommands is I4 for one broker's report. A command may delete a
// topic only where it is absent or a leftover (a retry or DLQ topic whose
// group is gone): `deleteTopic -c` acts on every broker of the cluster.
func (k *checker) checkCommands(m *model, r ref, rep auditReport) {
	sim := k.w.sims[r.C]
	want := strings.Join(sortedCopy(sim.NamesrvAddrs()), ";")
	for _, cmd := range rep.Commands {
		if strings.HasPrefix(strings.TrimSpace(cmd), "#") {
			continue
		}
		verb, flags := parseCommand(cmd)
		if got := strings.Join(sortedCopy(strings.FieldsFunc(flags["n"], func(c rune) bool { return c == ';' || c == ',' })), ";"); got != want {
			k.fail("I4", "audit prints %q for %s, whose namesrvs are %s", cmd, rep.Addr, want)
			return
		}
		for _, other := range m.order {
			if other.C != r.C {
				continue // another cluster: the command's -n does not reach it
			}
			b := m.brokers[other]
			switch {
			case verb == "deleteTopic" && b.topics[flags["t"]] && !in(b.view.Leftovers, flags["t"]):
				k.fail("I4", "audit prints %q: topic %s is live on %s (%s)", cmd, flags["t"], b.view.Name, k.w.filters)
				return
			case verb == "deleteSubGroup" && b.groups[flags["g"]] && (flags["b"] == "" || flags["b"] == b.view.Addr):
				k.fail("I4", "audit prints %q: group %s is live on %s (%s)", cmd, flags["g"], b.view.Name, k.w.filters)
				return
			}
		}
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
