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

// differential runs one type's fast paths against encoding/json on a
// body. When ReadRaw reads the body, Normalize must accept it and
// encoding/json must decode its output to the same result; likewise when
// ReadNormalized reads Normalize's output. A path that does not read it
// must leave its value untouched (the client then goes on, as before, to
// Normalize and encoding/json).
func differential[W any, PW interface {
	*W
	fastjson.RawReader
}](t *testing.T, body []byte, result func(*W) any) {
	norm, normErr := fastjson.Normalize(body)
	var raw W
	if PW(&raw).ReadRaw(body) {
		if normErr != nil {
			t.Fatalf("%q: read raw, but Normalize: %v", body, normErr)
		}
		sameAsEncodingJSON(t, "raw", norm, &raw, result)
	} else {
		untouched(t, body, raw)
	}
	if normErr != nil {
		return
	}
	var fast W
	if PW(&fast).ReadNormalized(norm) {
		sameAsEncodingJSON(t, "normalised", norm, &fast, result)
	} else {
		untouched(t, norm, fast)
	}
}

func sameAsEncodingJSON[W any](t *testing.T, path string, norm []byte, fast *W, result func(*W) any) {
	t.Helper()
	var slow W
	if err := json.Unmarshal(norm, &slow); err != nil {
		t.Fatalf("%s: read by hand (%s), but encoding/json: %v", norm, path, err)
	}
	if got, want := result(fast), result(&slow); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n by hand (%s) %#v\n encoding/json %#v", norm, path, got, want)
	}
}

func untouched[W any](t *testing.T, body []byte, v W) {
	t.Helper()
	var zero W
	if !reflect.DeepEqual(v, zero) {
		t.Fatalf("%q: refused, but changed its value to %+v", body, v)
	}
}

// skipQuirks are values of a field the fast paths skip: what Normalize
// accepts (fastjson's bare and composite keys, escapes, spacing) and what
// it refuses, which a raw read must refuse too.
var skipQuirks = []string{
	`{0:"a",-1:{"k":[1,{}]},{"k":1}:2,[3]:4}`, `"\u00e9\/\b"`, `"\x"`, `"a\u12"`, "\"ctl\x01\"", "\"\xff\"",
	`1.`, `-`, `01`, `1e`, `tru`, `nul`, `[1 ,2]`, ` 1`, `{"a" :1}`, `{a:1}`, `{"a":1,}`, `[1,]`, `[`,
	strings.Repeat("[", 70) + strings.Repeat("]", 70), strings.Repeat(`{"a":`, 30) + "1" + strings.Repeat("}", 30),
}

// addQuirks seeds f with fields bodies plus one skipped field of each quirk.
func addQuirks(f *testing.F, fields string) {
	for _, b := range quirkBodies(fields) {
		f.Add(b)
	}
}

// quirkBodies are fields bodies plus one skipped field of each quirk.
func quirkBodies(fields string) [][]byte {
	var out [][]byte
	for _, q := range skipQuirks {
		out = append(out, []byte(`{"zz":`+q+`,`+fields+`}`), []byte(`{`+fields+`,"zz":`+q+`}`))
	}
	return out
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
	addQuirks(f, `"offsetTable":{{"brokerName":"b","queueId":1,"topic":"t"}:{"maxOffset":3}}`)
	for _, k := range []string{`{"brokerName":"b","queueId":1,"topic":"a<b&"}`, ` {"brokerName":"b","queueId":1,"topic":"t"}`,
		`{"brokerName" :"b","queueId":1,"topic":"t"}`, "{\"brokerName\":\"b\",\"queueId\":1,\"topic\":\"\xff\"}", `{"brokerName":"b","queueId":1,"topic":"a\"b"}`,
		`{"brokerName":"b","queueId":1,"topic":"t","x":{}}`, `{"brokerName":"b","queueId":1,"topic":"t"`, `{brokerName:"b","queueId":1,"topic":"t"}`} {
		f.Add([]byte(`{"offsetTable":{` + k + `:{"maxOffset":3}},"topicPutTps":1.5}`))
	}
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
	for _, s := range brokerConsumeStatsSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		differential(t, body, func(w *brokerConsumeStatsWire) any { return w.stats() })
	})
}

// brokerConsumeStatsSeeds are recorded and simulated answers, and edges
// of the shape and its quirks.
func brokerConsumeStatsSeeds(f *testing.F) [][]byte {
	seeds := recordedBodies(f, "GET_BROKER_CONSUME_STATS")
	seeds = append(seeds, simulatedBodies(f, remoting.GetBrokerConsumeStats, fixed(map[string]string{"isOrder": "false"}))...)
	seeds = append(seeds, brokerConsumeStatsBody(3, 2), []byte(`{}`), []byte(`{"consumeStatsList":[]}`),
		[]byte(`{"consumeStatsList":[{"g":[]},{"g":[{"consumeTps":1}]},{"a":[],"b":[{}]}],"totalDiff":-3,"brokerAddr":"é"}`),
		[]byte(`{"consumeStatsList":[{"g":[],"g":[{"consumeTps":2}]}]}`),
		[]byte(`{"consumeStatsList":[{"g":[{"consumeTps":null,"offsetTable":{},"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"brokerOffset":2}}}]}],"ConsumeStatsList":[]}`),
		[]byte(`{"consumeStatsList":[null,{"g":null}],"totalDiff":1.5}`),
		[]byte(`{"brokerAddr":"a\u00e9","totalDiff":null,"consumeStatsList":[{"g\u0041":[{"consumeTps":1e3}]}]}`))
	return append(seeds, quirkBodies(`"consumeStatsList":[{"g":[{"consumeTps":1,"zz":{0:1},"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"brokerOffset":2}}}]}]`)...)
}

func FuzzTopicConfigFast(f *testing.F) {
	for _, s := range topicConfigSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		differential(t, body, func(t *TopicConfigTable) any { return *t })
	})
}

func topicConfigSeeds(f *testing.F) [][]byte {
	seeds := recordedBodies(f, "GET_ALL_TOPIC_CONFIG")
	seeds = append(seeds, simulatedBodies(f, remoting.GetAllTopicConfig, nil)...)
	seeds = append(seeds, []byte(`{}`), []byte(`{"topicConfigTable":null}`),
		[]byte(`{"topicConfigTable":{"a":{"perm":6,"perm":null,"order":true,"attributes":{"+k":"v","k":null}}},"topicConfigTable":{"b":null,"a":{"topicName":"x"}}}`),
		[]byte(`{"dataVersion":{"counter":1,"stateVersion":0},"dataVersion":{"timestamp":2},"topicConfigTable":{"t":{"attributes":{},"readQueueNums":1.0}}}`),
		[]byte(`{"dataVersion":null,"topicConfigTable":{"t":{"attributes":null,"ORDER":true,"readQueueNums":9223372036854775808}}}`),
		[]byte(`{"topicConfigTable":{"t\u00e9":{"topicName":"\ud83d\ude00","order":"true"}}}`))
	return append(seeds, quirkBodies(`"topicConfigTable":{"t":{"perm":6,"attributes":{"+a":"1"}}}`)...)
}

func FuzzSubscriptionGroupFast(f *testing.F) {
	for _, s := range groupConfigSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		differential(t, body, func(t *SubscriptionGroupTable) any { return *t })
	})
}

func groupConfigSeeds(f *testing.F) [][]byte {
	seeds := recordedBodies(f, "GET_ALL_SUBSCRIPTIONGROUP_CONFIG")
	seeds = append(seeds, simulatedBodies(f, remoting.GetAllSubscriptionGroupConfig, nil)...)
	seeds = append(seeds, []byte(`{"subscriptionGroupTable":{"g":{"brokerId":-1,"consumeEnable":null,"groupRetryPolicy":{"type":"x"},"retryQueueNums":1e2}}}`),
		[]byte(`{"subscriptionGroupTable":{"g":{"BrokerId":1,"whichBrokerWhenConsumeSlowly":9223372036854775807}},"forbiddenTable":{}}`))
	return append(seeds, quirkBodies(`"subscriptionGroupTable":{"g":{"brokerId":0,"groupRetryPolicy":{"type":"CUSTOMIZED"}}}`)...)
}

func FuzzBrokerStatsDataFast(f *testing.F) {
	seeds := recordedBodies(f, "VIEW_BROKER_STATS_DATA")
	seeds = append(seeds, simulatedBodies(f, remoting.ViewBrokerStatsData, fixed(map[string]string{"statsName": "BROKER_PUT_NUMS", "statsKey": "SimCluster"}))...)
	seeds = append(seeds, []byte(`{"statsMinute":{"sum":1},"statsMinute":{"tps":2.5},"statsDay":null,"statsHour":{"avgpt":1e999}}`),
		[]byte(`{"statsMinute":{"sum":1.0,"tps":-0}}`))
	addQuirks(f, `"statsMinute":{"sum":1,"tps":0.5}`)
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
	addQuirks(f, `"consumeTimeSpanSet":[{"delayTime":1,"messageQueue":{"brokerName":"b","queueId":0,"topic":"t"}}]`)
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
	addQuirks(f, `"offsetTable":{"t@g":{0:1,1:2}}`)
	f.Add([]byte(`{"offsetTable":{"t@g":{01:1,-0:2,-:3}}}`))
	f.Add([]byte(`{"offsetTable":{"t@g":{1 :1}}}`))
	f.Add([]byte(`{"offsetTable":{t@g:{1:1}}}`))
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
	check := func(name string, bodies [][]byte, r func() fastjson.RawReader) {
		for i, b := range bodies {
			norm, err := fastjson.Normalize(b)
			if err != nil {
				t.Fatalf("%s #%d: %v", name, i, err)
			}
			t.Logf("%s #%d: %.120s", name, i, b)
			if !r().ReadRaw(b) {
				t.Errorf("%s #%d: raw body left to Normalize: %.200s", name, i, b)
			}
			if !r().ReadNormalized(norm) {
				t.Errorf("%s #%d: left to encoding/json: %.200s", name, i, norm)
			}
		}
	}
	check("GET_TOPIC_STATS_INFO", append(recordedBodies(t, "GET_TOPIC_STATS_INFO"),
		simulatedBodies(t, remoting.GetTopicStatsInfo, fixed(map[string]string{"topic": "SELF_TEST_TOPIC"}))...),
		func() fastjson.RawReader { return &topicStatsWire{} })
	check("GET_BROKER_CONSUME_STATS", append(recordedBodies(t, "GET_BROKER_CONSUME_STATS"),
		simulatedBodies(t, remoting.GetBrokerConsumeStats, nil)...),
		func() fastjson.RawReader { return &brokerConsumeStatsWire{} })
	check("GET_ALL_TOPIC_CONFIG", append(recordedBodies(t, "GET_ALL_TOPIC_CONFIG"),
		simulatedBodies(t, remoting.GetAllTopicConfig, nil)...),
		func() fastjson.RawReader { return &TopicConfigTable{} })
	check("GET_ALL_SUBSCRIPTIONGROUP_CONFIG", append(recordedBodies(t, "GET_ALL_SUBSCRIPTIONGROUP_CONFIG"),
		simulatedBodies(t, remoting.GetAllSubscriptionGroupConfig, nil)...),
		func() fastjson.RawReader { return &SubscriptionGroupTable{} })
	check("VIEW_BROKER_STATS_DATA", append(recordedBodies(t, "VIEW_BROKER_STATS_DATA"),
		simulatedBodies(t, remoting.ViewBrokerStatsData, fixed(map[string]string{"statsName": "BROKER_PUT_NUMS", "statsKey": "SimCluster"}))...),
		func() fastjson.RawReader { return &BrokerStatsData{} })
	check("QUERY_CONSUME_TIME_SPAN", append(recordedBodies(t, "QUERY_CONSUME_TIME_SPAN"),
		simulatedBodies(t, remoting.QueryConsumeTimeSpan, consumedPair)...),
		func() fastjson.RawReader { return &timeSpanWire{} })
	check("GET_ALL_CONSUMER_OFFSET", append(recordedBodies(t, "GET_ALL_CONSUMER_OFFSET"),
		simulatedBodies(t, remoting.GetAllConsumerOffset, nil)...),
		func() fastjson.RawReader { return &consumerOffsetWire{} })
	check("GET_CONSUMER_CONNECTION_LIST", recordedBodies(t, "GET_CONSUMER_CONNECTION_LIST"),
		func() fastjson.RawReader { return &ConsumerConnection{} })
}

// TestDecodedKeepsNoBody: fastjson.Unmarshal reuses its buffers from body
// to body, so what a decoder returns must not share one. Everything
// recorded is decoded, then decoded again while the first results are
// held: the first results must not have changed.
func TestDecodedKeepsNoBody(t *testing.T) {
	targets := map[string]func() any{
		"GET_TOPIC_STATS_INFO":             func() any { return &topicStatsWire{} },
		"GET_BROKER_CONSUME_STATS":         func() any { return &brokerConsumeStatsWire{} },
		"GET_ALL_TOPIC_CONFIG":             func() any { return &TopicConfigTable{} },
		"GET_ALL_SUBSCRIPTIONGROUP_CONFIG": func() any { return &SubscriptionGroupTable{} },
		"VIEW_BROKER_STATS_DATA":           func() any { return &BrokerStatsData{} },
		"QUERY_CONSUME_TIME_SPAN":          func() any { return &timeSpanWire{} },
		"GET_ALL_CONSUMER_OFFSET":          func() any { return &consumerOffsetWire{} },
		"GET_CONSUMER_CONNECTION_LIST":     func() any { return &ConsumerConnection{} },
		"GET_CONSUMER_RUNNING_INFO":        func() any { return &consumerRunningInfoWire{} },
	}
	decodeAll := func() []any {
		var out []any
		for _, name := range slices.Sorted(maps.Keys(targets)) {
			for _, b := range recordedBodies(t, name) {
				v := targets[name]()
				if err := fastjson.Unmarshal(b, v); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				out = append(out, v)
			}
		}
		return out
	}
	first := decodeAll()
	want := decodeAll()
	decodeAll() // and once more over the buffers the second pass used
	for i := range first {
		if !reflect.DeepEqual(first[i], want[i]) {
			t.Fatalf("#%d changed after later bodies were decoded:\n %+v\nnow %+v", i, want[i], first[i])
		}
	}
}

func FuzzConsumerConnectionFast(f *testing.F) {
	seeds := recordedBodies(f, "GET_CONSUMER_CONNECTION_LIST")
	seeds = append(seeds, []byte(`{}`), []byte(`{"connectionSet":null,"subscriptionTable":null}`), []byte(`{"connectionSet":[]}`),
		[]byte(`{"connectionSet":[null,{"clientId":"a","clientId":"b","version":-3,"language":"JAVA","x":[1]}],"messageModel":"BROADCASTING"}`),
		[]byte(`{"connectionSet":[{"clientId":"a"}],"connectionSet":[{"clientAddr":"b"}]}`),
		[]byte(`{"subscriptionTable":{"t":null,"u":{"topic":"u","tagsSet":["a"],"subVersion":1795628267505737661}},"subscriptionTable":{"v":{}}}`),
		[]byte(`{"ConsumeType":"CONSUME_POP","consumeType":"CONSUME_ACTIVELY"}`),
		[]byte(`{"connectionSet":[{"version":1.5}]}`), []byte(`{"consumeFromWhere":null}`))
	addQuirks(f, `"connectionSet":[{"clientAddr":"127.0.0.1:1","clientId":"c","language":"GO","version":317}],"subscriptionTable":{"t":{"topic":"t","codeSet":[],"classFilterMode":false}}`)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		differential(t, body, func(cc *ConsumerConnection) any { return *cc })
	})
}
