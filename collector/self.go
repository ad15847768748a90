package collector

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// selfFamilies describe the exporter itself: its last cycle, its running
// totals (snapshot.Self, completed with the snapshot) and this scrape.
// The Go runtime, process and build-info families come from client_golang's
// own collectors.
func selfFamilies() []*family {
	fs := append(cycleFamilies(), totalFamilies()...)
	return append(fs, metaFamilies()...) // last: they count the others
}

// cycleFamilies describe the last cycle and the served series.
func cycleFamilies() []*family {
	return []*family{
		{
			name: "rocketmq_exporter_last_cycle_duration_seconds", typ: gauge, prio: prioNever,
			help: "How long the last collection cycle took, in seconds.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				if !v.s.Finished.IsZero() && !v.s.Started.IsZero() {
					s.add(v.s.Duration().Seconds())
				}
			},
		},
		{
			name: "rocketmq_exporter_last_cycle_timestamp_seconds", typ: gauge, prio: prioNever,
			help: "When the last collection cycle finished, as Unix seconds.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				if !v.s.Finished.IsZero() {
					s.add(seconds(v.s.Finished))
				}
			},
		},
		{
			name: AgeFamily, typ: gauge, prio: prioNever, live: true,
			help: "Age of the served snapshot at scrape time: now minus when its cycle finished, in seconds.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				if !v.s.Finished.IsZero() {
					s.add(v.now.Sub(v.s.Finished).Seconds())
				}
			},
		},
		{
			name: "rocketmq_exporter_cycle_overran", typ: gauge, prio: prioNever,
			help: "1 when the last cycle hit its deadline and brokers not finished by then are reported down, else 0.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) { s.add(boolValue(v.s.Overran)) },
		},
		{
			name: "rocketmq_exporter_tracked_entities", typ: gauge, labels: []string{"kind"}, prio: prioNever,
			help: "Entities (topics, groups, clients, …) the last snapshot tracks, by kind.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for k, n := range v.s.Entities {
					s.add(float64(n), k)
				}
			},
		},
	}
}

// totalFamilies are the exporter's running totals since it started.
func totalFamilies() []*family {
	return []*family{
		{
			name: "rocketmq_exporter_cycles_total", typ: counter, prio: prioNever,
			help: "Collection cycles completed.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) { s.add(float64(v.s.Seq)) },
		},
		{
			name: "rocketmq_exporter_cycle_overruns_total", typ: counter, prio: prioNever,
			help: "Collection cycles that hit their deadline or ran longer than the interval (the next cycle then starts late, " +
				"never skipped); one that ran long is counted from the next snapshot on.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) { s.add(float64(v.s.Self.Overruns)) },
		},
		{
			name: "rocketmq_exporter_series_removed_total", typ: counter, labels: []string{"kind"}, prio: prioNever,
			help: "Entities whose every series was removed from /metrics because the authoritative listing no longer holds them " +
				"(or their broker stayed unreachable past the grace period), by kind.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				bySortedKey(v.s.Self.Removed, func(k string, n int64) { s.add(float64(n), k) })
			},
		},
		{
			name: "rocketmq_exporter_rpcs_total", typ: counter, labels: []string{"request"}, prio: prioNever,
			help: "Calls the exporter made to RocketMQ namesrvs and brokers, by request, as of the served cycle's end.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				bySortedKey(v.s.Self.RPC.Calls, func(k string, n int64) { s.add(float64(n), k) })
			},
		},
		{
			name: "rocketmq_exporter_rpc_errors_total", typ: counter, labels: []string{"request", "code"}, prio: prioNever,
			help: "Failed calls, by request and error code: the broker's response code name, or transport/timeout/decode. " +
				"Which broker and collection stage failed: rocketmq_broker_collect_stage_errors_total.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				errs := v.s.Self.RPC.Errors
				for _, k := range slices.SortedFunc(maps.Keys(errs), compareRPCError) {
					s.add(float64(errs[k]), k.Request, k.Code)
				}
			},
		},
		{
			name: "rocketmq_exporter_rpc_duration_seconds_total", typ: counter, labels: []string{"request"}, prio: prioNever,
			help: "Time spent waiting for answers, by request, in seconds.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) { bySortedKey(v.s.Self.RPC.Seconds, func(k string, x float64) { s.add(x, k) }) },
		},
		{
			name: "rocketmq_exporter_rpc_received_body_bytes_total", typ: counter, prio: prioNever,
			help: "Response body bytes received from RocketMQ.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				if v.s.Self.RPC.Calls != nil { // no recorder, no figure
					s.add(float64(v.s.Self.RPC.BodyBytes))
				}
			},
		},
	}
}

// bySortedKey calls fn for every entry of m in key order.
func bySortedKey[V any](m map[string]V, fn func(string, V)) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fn(k, m[k])
	}
}

func compareRPCError(a, b snapshot.RPCError) int {
	return cmp.Or(strings.Compare(a.Request, b.Request), strings.Compare(a.Code, b.Code))
}

// metaFamilies describe the series of this scrape: emitted last, since
// they count what the other families served.
func metaFamilies() []*family {
	return []*family{
		{
			name: "rocketmq_exporter_series_dropped", typ: gauge, labels: []string{"family"}, prio: prioNever, meta: true,
			help: "Series left out of this scrape because --collect.max-series dropped the whole family, by family.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for f, n := range v.dropped {
					s.add(float64(n), f)
				}
			},
		},
		{
			name: "rocketmq_exporter_series", typ: gauge, labels: []string{"family"}, prio: prioNever, meta: true,
			help: "Series this scrape served, by family (this family itself not included).", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, f := range v.servedOrder {
					s.add(float64(v.served[f]), f)
				}
			},
		},
	}
}
