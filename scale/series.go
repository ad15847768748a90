package scale

import (
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/collector"
)

// ClockBound tells, from a series' name and labels as the text format
// writes them, whether its value moves with the moment of the scrape or
// of the cycle (ages, durations, times, latencies, rates the broker
// measures over its own clock, which the Java families' tps and
// message_size are): two exporters over
// the same cluster serve such series with values that differ, so they are
// compared by name and labels only.
func ClockBound(series string) bool {
	name := series[:strings.IndexAny(series+"{", "{")]
	for _, s := range []string{"_seconds", "timestamp", "_duration", "latency", "Latency", "_per_second", "tps", "Tps", "message_size"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// Replicated tells whether a series (as ClockBound reads it) is of a family
// each replica under --shard.count serves for every broker, being about
// its own calls (collector.PerReplica): the union of the shards' series
// leaves those out.
func Replicated(series string) bool {
	return collector.PerReplica(series[:strings.IndexAny(series+"{", "{")])
}
