// Package history recalls the topic and group names the exporter served
// before it (re)started, so that the leak prober can still ask brokers about
// subjects deleted while no exporter process was running, or before the
// current one started. A leaked broker stat item lives until its broker
// restarts; the exporter's in-memory tombstones die with the process; these
// sources outlive it.
//
// Two sources, both opt-in:
//
//   - Prometheus: the server that scrapes this exporter already holds every
//     topic and group label value the exporter ever served. Recall reads
//     them back with one request to the series API (/api/v1/series) over
//     [now-window, now], for two families:
//
//     rocketmq_topic_info, served with value 1 for every topic of the
//     broker's topic config that passes --topic.include/--topic.exclude,
//     whatever its traffic (it needs no offsets, rates or consumers), and
//
//     rocketmq_consumer_group_info, served with value 1 for every
//     subscription group of the broker that passes
//     --group.include/--group.exclude, online or not, with or without
//     offsets.
//
//     With several targets every series carries a target label, read into
//     Broker.Target, so twin clusters' names stay apart.
//
//     Families that depend on traffic (offsets, rates, lag) would miss idle
//     subjects, and per-group-and-topic families miss groups that never
//     consumed. Both chosen families carry their kind's highest
//     --collect.max-series priority (per topic, per group): a cap drops every
//     per-client, per-queue and per-group-and-topic family before them, but
//     a cap so low that it drops them leaves holes in the history.
//
//   - File: a small state file the exporter writes itself (Save) and reads
//     back at start (Recall). It is bounded per broker; what overflows is
//     reported by Save, never dropped silently.
//
// Neither source knows what exists now: Recall returns every name seen
// within the window, live or deleted, and the caller subtracts the live
// ones. Names never served (filtered out, or deleted before any exporter
// saw them) are not recalled by the Prometheus source.
package history

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// Broker names one broker group the way its series do.
type Broker struct {
	Target  string // the target label; "" when the exporter watches one target (no target label)
	Cluster string
	Broker  string // broker name (the broker group), not an address
}

// Names are topic and group names a broker's series carried, and the
// (topic, group) pairs of its per-group-and-topic series; all sorted and
// unique. Pairs let a deleted topic's per-group stat keys be probed.
type Names struct {
	Topics []string
	Groups []string
	Pairs  []Pair
	// Past are pairs of first lives: one of the two names was deleted and
	// came back, and the pair's stat items stay in the broker until it
	// restarts (only the state file keeps them).
	Past []Pair
	// Boot is the broker's boot time (ms) when the names were saved; 0
	// when unknown (Prometheus). A broker booted since has freed every
	// stat item the names could lead to.
	Boot int64
}

// Pair is a topic and a group that consumed it.
type Pair struct {
	Topic string `json:"topic"`
	Group string `json:"group"`
}

// Source recalls names from before the exporter started.
type Source interface {
	// Recall returns every broker's names seen within the source's window.
	Recall(ctx context.Context) (map[Broker]Names, error)
}

// Merge returns the union of ms, per broker, sorted and unique. Its inputs
// are not modified.
func Merge(ms ...map[Broker]Names) map[Broker]Names {
	out := map[Broker]Names{}
	for _, m := range ms {
		for b, n := range m {
			cur := out[b]
			cur.Topics = append(cur.Topics, n.Topics...)
			cur.Groups = append(cur.Groups, n.Groups...)
			cur.Pairs = append(cur.Pairs, n.Pairs...)
			cur.Past = append(cur.Past, n.Past...)
			cur.Boot = max(cur.Boot, n.Boot)
			out[b] = cur
		}
	}
	for b, n := range out {
		out[b] = Names{Topics: sortUnique(n.Topics), Groups: sortUnique(n.Groups), Pairs: sortPairs(n.Pairs), Past: sortPairs(n.Past), Boot: n.Boot}
	}
	return out
}

// sortPairs sorts p in place and drops repeats and half-empty pairs.
func sortPairs(p []Pair) []Pair {
	p = slices.DeleteFunc(p, func(x Pair) bool { return x.Topic == "" || x.Group == "" })
	slices.SortFunc(p, func(a, b Pair) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return strings.Compare(a.Group, b.Group)
	})
	p = slices.Compact(p)
	if len(p) == 0 {
		return nil
	}
	return p
}

// sortUnique sorts s in place and drops repeats and empty names.
func sortUnique(s []string) []string {
	slices.Sort(s)
	s = slices.Compact(s)
	if len(s) > 0 && s[0] == "" {
		s = s[1:]
	}
	if len(s) == 0 {
		return nil
	}
	return s
}

// Sources is a Source that recalls from each of its sources and merges the
// answers.
type Sources []Source

// Recall asks every source. When some fail, it still returns the merged
// names of those that answered, with the failures joined in the error: a
// partial recall is worth more to the leak prober than none.
func (s Sources) Recall(ctx context.Context) (map[Broker]Names, error) {
	var (
		got  []map[Broker]Names
		errs []error
	)
	for _, src := range s {
		m, err := src.Recall(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, m)
	}
	return Merge(got...), errors.Join(errs...)
}
