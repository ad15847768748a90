package admin

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/fastjson"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// recordedBodies returns every body real brokers answered to the request
// (testdata/fixtures/<version>[/groups]/<REQUEST>.json).
func recordedBodies(t testing.TB, request string) [][]byte {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "fixtures", "*", request+".json"))
	more, _ := filepath.Glob(filepath.Join("..", "testdata", "fixtures", "*", "*", request+".json"))
	paths = append(paths, more...)
	if len(paths) < 3 {
		t.Fatalf("%s: %d recordings, want one per version at least", request, len(paths))
	}
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// simulatedBodies asks a simulated broker of every version the simulator
// plays for the answer to code, after some traffic, with the extension
// fields ext returns (it may ask the broker first, through call).
func simulatedBodies(t testing.TB, code int, ext func(t testing.TB, call func(int, map[string]string) []byte) map[string]string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, v := range simbroker.Versions {
		c, err := simbroker.Start(simbroker.Options{Version: v, Topics: 6, Groups: 5, Queues: 3, OnlineEvery: 2, ActiveEvery: 2})
		if err != nil {
			t.Fatal(err)
		}
		c.Tick()
		rc := remoting.NewClient(remoting.Options{})
		call := func(code int, ext map[string]string) []byte {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			resp, err := rc.Call(ctx, c.Brokers[0].Master.Addr, code, ext, nil)
			if err != nil {
				t.Fatalf("%s: %s: %v", v, remoting.RequestName(code), err)
			}
			return resp.Body
		}
		var fields map[string]string
		if ext != nil {
			fields = ext(t, call)
		}
		out = append(out, call(code, fields))
		rc.Close()
		c.Close()
	}
	return out
}

// fixed is ext for a request whose fields need no look-up.
func fixed(ext map[string]string) func(testing.TB, func(int, map[string]string) []byte) map[string]string {
	return func(testing.TB, func(int, map[string]string) []byte) map[string]string { return ext }
}

// consumedPair is ext for a business topic and group the broker holds
// offsets of.
func consumedPair(t testing.TB, call func(int, map[string]string) []byte) map[string]string {
	t.Helper()
	var w consumerOffsetWire
	if err := fastjson.Unmarshal(call(remoting.GetAllConsumerOffset, nil), &w); err != nil {
		t.Fatal(err)
	}
	for _, k := range slices.Sorted(maps.Keys(w.OffsetTable)) {
		if topic, group, ok := splitTopicGroup(k); ok && !strings.HasPrefix(topic, "%") && len(w.OffsetTable[k]) > 0 {
			return map[string]string{"topic": topic, "group": group}
		}
	}
	t.Fatal("the simulator holds no consumer offsets")
	return nil
}

// differential runs one fast path against encoding/json on a body: when
// the fast path reads it, encoding/json must decode it too, to the same
// result; when it does not, it must leave its value untouched (the
// client then decodes the body with encoding/json, as before).
func differential[W any, PW interface {
	*W
	fastjson.NormalizedReader
}](t *testing.T, body []byte, result func(*W) any) {
	norm, err := fastjson.Normalize(body)
	if err != nil {
		return
	}
	var fast W
	if !PW(&fast).ReadNormalized(norm) {
		var zero W
		if !reflect.DeepEqual(fast, zero) {
			t.Fatalf("%s: refused, but changed its value to %+v", norm, fast)
		}
		return
	}
	var slow W
	if err := json.Unmarshal(norm, &slow); err != nil {
		t.Fatalf("%s: read by hand, but encoding/json: %v", norm, err)
	}
	if got, want := result(&fast), result(&slow); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n by hand        %#v\n encoding/json %#v", norm, got, want)
	}
}

type statsResult struct {
	Stats any
	Err   error
}

func FuzzTopicStatsFast(f *testing.F) {
	seeds := recordedBodies(f, "GET_TOPIC_STATS_INFO")
	seeds = append(seeds, simulatedBodies(f, remoting.GetTopicStatsInfo, fixed(map[string]string{"topic": "SELF_TEST_TOPIC"}))...)
	seeds = append(seeds, topicStatsBody(8), []byte(`{"offsetTable":{}}`), []byte(`{}`),
		[]byte(`{"offsetTable":{},"topicPutTps":null,"TopicPutTps":1}`),
		[]byte(`{"topicPutTps":1e400,"offsetTable":{}}`),
		[]byte(`{"topicPutTps":-0.5E-3,"x":[{"a":"}"},"\"",null],"offsetTable":{{"brokerName":"b","queueId":1,"topic":"t"}:{"maxOffset":3}}}`),
		[]byte(`{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"t"}:{"maxOffset":3}},"offsetTable":{}}`),
		[]byte(`{"offsetTable":null}`), []byte(`{"topicPutTps":"1"}`), []byte(`[]`))
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		differential(t, body, func(w *topicStatsWire) any {
			ts, err := w.stats()
			return statsResult{ts, err}
		})
	})
}

func FuzzBrokerConsumeStatsFast(f *testing.F) {
	seeds := recordedBodies(f, "GET_BROKER_CONSUME_STATS")
	seeds = append(seeds, simulatedBodies(f, remoting.GetBrokerConsumeStats, fixed(map[string]string{"isOrder": "false"}))...)
	seeds = append(seeds, brokerConsumeStatsBody(3, 2), []byte(`{}`), []byte(`{"consumeStatsList":[]}`),
		[]byte(`{"consumeStatsList":[{"g":[]},{"g":[{"consumeTps":1}]},{"a":[],"b":[{}]}],"totalDiff":-3,"brokerAddr":"é"}`),
		[]byte(`{"consumeStatsList":[{"g":[],"g":[{"consumeTps":2}]}]}`),
		[]byte(`{"consumeStatsList":[{"g":[{"consumeTps":null,"offsetTable":{},"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"brokerOffset":2}}}]}],"ConsumeStatsList":[]}`),
		[]byte(`{"consumeStatsList":[null,{"g":null}],"totalDiff":1.5}`),
		[]byte(`{"brokerAddr":"a\u00e9","totalDiff":null,"consumeStatsList":[{"g\u0041":[{"consumeTps":1e3}]}]}`))
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		differential(t, body, func(w *brokerConsumeStatsWire) any { return w.stats() })
	})
}

func FuzzTopicConfigFast(f *testing.F) {
	seeds := recordedBodies(f, "GET_ALL_TOPIC_CONFIG")
	seeds = append(seeds, simulatedBodies(f, remoting.GetAllTopicConfig, nil)...)
	seeds = append(seeds, []byte(`{}`), []byte(`{"topicConfigTable":null}`),
		[]byte(`{"topicConfigTable":{"a":{"perm":6,"perm":null,"order":true,"attributes":{"+k":"v","k":null}}},"topicConfigTable":{"b":null,"a":{"topicName":"x"}}}`),
		[]byte(`{"dataVersion":{"counter":1,"stateVersion":0},"dataVersion":{"timestamp":2},"topicConfigTable":{"t":{"attributes":{},"readQueueNums":1.0}}}`),
		[]byte(`{"dataVersion":null,"topicConfigTable":{"t":{"attributes":null,"ORDER":true,"readQueueNums":9223372036854775808}}}`),
		[]byte(`{"topicConfigTable":{"t\u00e9":{"topicName":"\ud83d\ude00","order":"true"}}}`))
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		differential(t, body, func(t *TopicConfigTable) any { return *t })
	})
}

func FuzzSubscriptionGroupFast(f *testing.F) {
	seeds := recordedBodies(f, "GET_ALL_SUBSCRIPTIONGROUP_CONFIG")
	seeds = append(seeds, simulatedBodies(f, remoting.GetAllSubscriptionGroupConfig, nil)...)
	seeds = append(seeds, []byte(`{"subscriptionGroupTable":{"g":{"brokerId":-1,"consumeEnable":null,"groupRetryPolicy":{"type":"x"},"retryQueueNums":1e2}}}`),
		[]byte(`{"subscriptionGroupTable":{"g":{"BrokerId":1,"whichBrokerWhenConsumeSlowly":9223372036854775807}},"forbiddenTable":{}}`))
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		differential(t, body, func(t *SubscriptionGroupTable) any { return *t })
	})
}

func FuzzBrokerStatsDataFast(f *testing.F) {
	seeds := recordedBodies(f, "VIEW_BROKER_STATS_DATA")
	seeds = append(seeds, simulatedBodies(f, remoting.ViewBrokerStatsData, fixed(map[string]string{"statsName": "BROKER_PUT_NUMS", "statsKey": "SimCluster"}))...)
	seeds = append(seeds, []byte(`{"statsMinute":{"sum":1},"statsMinute":{"tps":2.5},"statsDay":null,"statsHour":{"avgpt":1e999}}`),
		[]byte(`{"statsMinute":{"sum":1.0,"tps":-0}}`))
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		differential(t, body, func(d *BrokerStatsData) any { return *d })
	})
}

func FuzzTimeSpanFast(f *testing.F) {
	seeds := recordedBodies(f, "QUERY_CONSUME_TIME_SPAN")
	seeds = append(seeds, simulatedBodies(f, remoting.QueryConsumeTimeSpan, consumedPair)...)
	seeds = append(seeds, []byte(`{"consumeTimeSpanSet":[]}`), []byte(`{"consumeTimeSpanSet":null}`),
		[]byte(`{"consumeTimeSpanSet":[null,{"messageQueue":null,"delayTime":5,"minTimeStampStr":"x"},{"messageQueue":{"queueId":2},"messageQueue":{"topic":"t"}}]}`),
		[]byte(`{"consumeTimeSpanSet":[{"delayTime":1}],"consumeTimeSpanSet":[{"maxTimeStamp":2}]}`))
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		differential(t, body, func(w *timeSpanWire) any { return *w })
	})
}

func FuzzConsumerOffsetsFast(f *testing.F) {
	seeds := recordedBodies(f, "GET_ALL_CONSUMER_OFFSET")
	seeds = append(seeds, simulatedBodies(f, remoting.GetAllConsumerOffset, nil)...)
	seeds = append(seeds, []byte(`{"offsetTable":null}`), []byte(`{"offsetTable":{"t@g":null,"u@g":{0:1,0:null,-1:2}},"offsetTable":{"t@g":{}}}`),
		[]byte(`{"offsetTable":{"t@g":{"x":1.5}},"groupTopicMap":{"g":["t"]}}`))
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		differential(t, body, func(w *consumerOffsetWire) any { return *w })
	})
}

// TestFastPathsReadRecordings: the fast paths, not encoding/json, read
// what real brokers and the simulator answer (else they would save
// nothing); that they read it right is the fuzz tests' part.
func TestFastPathsReadRecordings(t *testing.T) {
	check := func(name string, bodies [][]byte, r func() fastjson.NormalizedReader) {
		for i, b := range bodies {
			norm, err := fastjson.Normalize(b)
			if err != nil {
				t.Fatalf("%s #%d: %v", name, i, err)
			}
			t.Logf("%s #%d: %.120s", name, i, norm)
			if !r().ReadNormalized(norm) {
				t.Errorf("%s #%d: left to encoding/json: %.200s", name, i, norm)
			}
		}
	}
	check("GET_TOPIC_STATS_INFO", append(recordedBodies(t, "GET_TOPIC_STATS_INFO"),
		simulatedBodies(t, remoting.GetTopicStatsInfo, fixed(map[string]string{"topic": "SELF_TEST_TOPIC"}))...),
		func() fastjson.NormalizedReader { return &topicStatsWire{} })
	check("GET_BROKER_CONSUME_STATS", append(recordedBodies(t, "GET_BROKER_CONSUME_STATS"),
		simulatedBodies(t, remoting.GetBrokerConsumeStats, nil)...),
		func() fastjson.NormalizedReader { return &brokerConsumeStatsWire{} })
	check("GET_ALL_TOPIC_CONFIG", append(recordedBodies(t, "GET_ALL_TOPIC_CONFIG"),
		simulatedBodies(t, remoting.GetAllTopicConfig, nil)...),
		func() fastjson.NormalizedReader { return &TopicConfigTable{} })
	check("GET_ALL_SUBSCRIPTIONGROUP_CONFIG", append(recordedBodies(t, "GET_ALL_SUBSCRIPTIONGROUP_CONFIG"),
		simulatedBodies(t, remoting.GetAllSubscriptionGroupConfig, nil)...),
		func() fastjson.NormalizedReader { return &SubscriptionGroupTable{} })
	check("VIEW_BROKER_STATS_DATA", append(recordedBodies(t, "VIEW_BROKER_STATS_DATA"),
		simulatedBodies(t, remoting.ViewBrokerStatsData, fixed(map[string]string{"statsName": "BROKER_PUT_NUMS", "statsKey": "SimCluster"}))...),
		func() fastjson.NormalizedReader { return &BrokerStatsData{} })
	check("QUERY_CONSUME_TIME_SPAN", append(recordedBodies(t, "QUERY_CONSUME_TIME_SPAN"),
		simulatedBodies(t, remoting.QueryConsumeTimeSpan, consumedPair)...),
		func() fastjson.NormalizedReader { return &timeSpanWire{} })
	check("GET_ALL_CONSUMER_OFFSET", append(recordedBodies(t, "GET_ALL_CONSUMER_OFFSET"),
		simulatedBodies(t, remoting.GetAllConsumerOffset, nil)...),
		func() fastjson.NormalizedReader { return &consumerOffsetWire{} })
}
