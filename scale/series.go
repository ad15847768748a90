package scale

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
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

// PerEntity are the requests a replica under --shard.count makes only
// for the topics, groups and brokers it owns; every other request (the
// namesrv's and the broker-wide listings) each replica makes itself.
var PerEntity = map[string]bool{"GET_TOPIC_STATS_INFO": true, "GET_CONSUMER_CONNECTION_LIST": true,
	"VIEW_BROKER_STATS_DATA": true, "QUERY_CONSUME_TIME_SPAN": true, "GET_CONSUMER_RUNNING_INFO": true,
	"GET_ALL_CONSUMER_OFFSET": true} // the leak prober's, made by the broker's owner only

// EachSeries serves /metrics from a's handler, in the text format, and
// calls fn with every sample of RocketMQ's families (its name and labels
// as written, and its value): not the exporter's own families nor the Go
// and process collectors'.
func EachSeries(a *app.App, fn func(series, value string)) error {
	req := httptest.NewRequest(http.MethodGet, a.Settings.TelemetryPath, nil)
	rec := httptest.NewRecorder()
	a.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return fmt.Errorf("/metrics answered %d", rec.Code)
	}
	sc := bufio.NewScanner(bytes.NewReader(rec.Body.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "rocketmq_") || strings.HasPrefix(line, "rocketmq_exporter_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		fn(line[:i], line[i+1:])
	}
	return sc.Err()
}
