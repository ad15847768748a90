package collector

import (
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/leakcost"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// leakFamilies report what probing found left behind by deleted topics and
// groups, and the light message queues.
func leakFamilies() []*family {
	// byKey serves one of the leak report's counts, labelled by its key.
	byKey := func(name, label, help string, get func(r *snapshot.LeakReport) map[string]int, source string) *family {
		return &family{
			name: name, help: help, typ: gauge, labels: with(nameL, label), prio: prioNever,
			source: source, replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, b := range v.entities {
					if b.Leaks == nil {
						continue
					}
					for k, n := range get(b.Leaks) {
						s.add(float64(n), b.Cluster, b.Name, k)
					}
				}
			},
		}
	}
	return []*family{
		byKey("rocketmq_broker_leaked_stat_items", "stats", "Stat items (by stats name) the broker answered for, among the keys probed, "+
			"that belong to topics or groups no longer in its unfiltered listings. Known deletions are those this process saw "+
			"(until the broker restarts or --leak.max-tombstones pushes them out), those derived from the broker's consumer "+
			"offsets and %RETRY%/%DLQ% topics, and names recalled from --leak.history-url/--leak.state-file; a subject "+
			"deleted before any of these saw it is not counted. Keys still in the probe backlog are not counted yet. "+
			"Per-queue items are probed on every queue of the topic and count once per queue.",
			func(r *snapshot.LeakReport) map[string]int { return r.StatItems }, "VIEW_BROKER_STATS_DATA probes"),
		leakedBytesFamily(),
		{
			name: "rocketmq_broker_leaked_stat_items_inferred", typ: gauge, labels: with(nameL, "stats"), prio: prioNever,
			help: "Stat items (by stats name) counted in rocketmq_broker_leaked_stat_bytes that no probe asked about, inferred from " +
				"those the broker answered for: beside every per-queue GROUP_GET_LATENCY item the broker keeps a GROUP_GET_FALL_SIZE and a GROUP_GET_FALL_TIME " +
				"item (moment sets VIEW_BROKER_STATS_DATA cannot read), made and cleaned with it. Not counted in " +
				"rocketmq_broker_leaked_stat_items.",
			source: "inferred from VIEW_BROKER_STATS_DATA probes and topic queue counts", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, b := range v.entities {
					for st, n := range leakEstimate(v, b).Inferred {
						s.add(float64(n), b.Cluster, b.Name, st)
					}
				}
			},
		},
		byKey("rocketmq_broker_leak_probed_keys", "stats", "Stat keys (by stats name) the exporter asked the broker about this cycle while looking for leftovers.",
			func(r *snapshot.LeakReport) map[string]int { return r.ProbedKeys }, "VIEW_BROKER_STATS_DATA probes"),
		perBrokerName(def{name: "rocketmq_broker_leak_probe_backlog", typ: gauge,
			help: "Stat keys of deleted topics and groups not asked yet. Keys are asked first in, first out, " +
				"--leak.probes per cycle: a key queued behind N others is asked within ceil((N+1)/probes) cycles.",
			source: "exporter", replaces: "(none)"},
			func(_ *view, b *snapshot.Broker) (float64, bool) {
				return leakFigure(b, func(r *snapshot.LeakReport) int64 { return int64(r.Backlog) })
			}),
		perBrokerName(def{name: "rocketmq_exporter_tombstones_dropped_total", typ: counter,
			help: "Deleted topics and groups forgotten for the broker because --leak.max-tombstones was reached " +
				"(those found clean first, then the oldest); their leftovers are no longer followed.",
			source: "exporter", replaces: "(none)"},
			func(_ *view, b *snapshot.Broker) (float64, bool) {
				return leakFigure(b, func(r *snapshot.LeakReport) int64 { return r.TombstonesDropped })
			}),
		perBrokerName(def{name: "rocketmq_broker_orphaned_consumer_offsets", typ: gauge,
			help:   "Committed consumer offsets on the broker whose topic or group no longer exists.",
			source: "GET_ALL_CONSUMER_OFFSET, GET_ALL_TOPIC_CONFIG, GET_ALL_SUBSCRIPTIONGROUP_CONFIG", replaces: "(none)"},
			func(_ *view, b *snapshot.Broker) (float64, bool) {
				return leakFigure(b, func(r *snapshot.LeakReport) int64 { return int64(len(r.OrphanedOffsets)) })
			}),
		{
			name: "rocketmq_broker_leftover_topics", typ: gauge, labels: with(nameL, "kind"), prio: prioNever,
			help:   "Retry (%RETRY%) and dead-letter (%DLQ%) topics on the broker whose consumer group no longer exists, by kind.",
			source: "GET_ALL_TOPIC_CONFIG, GET_ALL_SUBSCRIPTIONGROUP_CONFIG", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, b := range v.entities {
					if b.Leaks == nil {
						continue
					}
					retry, dlq := 0, 0
					for _, t := range b.Leaks.LeftoverTopics {
						switch {
						case strings.HasPrefix(t, snapshot.RetryPrefix):
							retry++
						case strings.HasPrefix(t, snapshot.DLQPrefix):
							dlq++
						}
					}
					s.add(float64(retry), b.Cluster, b.Name, "retry")
					s.add(float64(dlq), b.Cluster, b.Name, "dlq")
				}
			},
		},
		byKey("rocketmq_exporter_tombstones", "kind", "Deleted topics and groups the exporter remembers for the broker (seen deleted, derived from its offsets and leftover topics, or recalled from history), by kind; kept until the broker restarts.",
			func(r *snapshot.LeakReport) map[string]int { return r.Tombstones }, "exporter"),
		perBrokerName(def{name: "rocketmq_broker_lmq_groups", typ: gauge,
			help:   "Consumer groups with offsets on light message queues (%LMQ%…) of the broker.",
			source: "GET_ALL_CONSUMER_OFFSET", replaces: "(none)"},
			func(_ *view, b *snapshot.Broker) (float64, bool) {
				if b.LMQ == nil {
					return 0, false
				}
				return float64(b.LMQ.Groups), true
			}),
		perBrokerName(def{name: "rocketmq_broker_lmq_stat_items", typ: gauge,
			help: "Per-LMQ stat items (GROUP_GET_NUMS %LMQ%…@group) the broker holds among the LMQs probed; " +
				"they exist only with enableLmqStats=true and are never cleaned, so they grow with MQTT client churn.",
			source: "VIEW_BROKER_STATS_DATA GROUP_GET_NUMS for LMQs seen in GET_ALL_CONSUMER_OFFSET", replaces: "(none)"},
			func(_ *view, b *snapshot.Broker) (float64, bool) {
				if b.LMQ == nil || b.LMQ.ProbedKeys == 0 {
					return 0, false
				}
				return float64(b.LMQ.StatItems), true
			}),
	}
}

// leakedBytesFamily prices what a broker leaks: see package leakcost.
func leakedBytesFamily() *family {
	return perBrokerName(def{name: "rocketmq_broker_leaked_stat_bytes", typ: gauge,
		help: "Estimated heap, in bytes, the broker holds for leaked stat items: those it answered for " +
			"(rocketmq_broker_leaked_stat_items) and those they imply (rocketmq_broker_leaked_stat_items_inferred). An " +
			"estimate, not a reading: each item is priced as measured by " + leakcost.Calibration + " (docs/leaks.md), " +
			"for the nearest calibrated version, and taken to be as old as the broker process, so that it holds a day of " +
			"snapshots after a day of uptime. Only a broker restart frees it. No series for a version no calibration covers.",
		source: "VIEW_BROKER_STATS_DATA probes, GET_BROKER_RUNTIME_INFO version and boot time", replaces: "(none)"},
		func(v *view, b *snapshot.Broker) (float64, bool) {
			e := leakEstimate(v, b)
			return float64(e.Bytes), e.Calibration != "" && b.Leaks != nil
		})
}

// leakFigure reads one figure of a broker's leak report; none when the
// broker was not probed.
func leakFigure(b *snapshot.Broker, get func(r *snapshot.LeakReport) int64) (float64, bool) {
	if b.Leaks == nil {
		return 0, false
	}
	return float64(get(b.Leaks)), true
}

// leakEstimate prices a broker's leak report as of the end of the cycle
// that made it, never the scrape's clock: a snapshot's series are encoded
// once.
func leakEstimate(v *view, b *snapshot.Broker) leakcost.Estimate {
	return leakcost.Of(b.Leaks, b.Version, leakcost.Age(b.BootTime, v.s.Finished))
}
