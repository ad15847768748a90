package scale

import "strings"

// ClockBound tells, from a series' name and labels as the text format
// writes them, whether its value moves with the moment of the scrape or
// of the cycle (ages, durations, times, latencies): two exporters over
// the same cluster serve such series with values that differ, so they are
// compared by name and labels only.
func ClockBound(series string) bool {
	name := series[:strings.IndexAny(series+"{", "{")]
	for _, s := range []string{"_seconds", "timestamp", "_duration", "latency", "Latency"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}
