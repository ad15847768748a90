package admin

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
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
// plays for the answer to code (with ext), after some traffic.
func simulatedBodies(t testing.TB, code int, ext map[string]string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, v := range simbroker.Versions {
		c, err := simbroker.Start(simbroker.Options{Version: v, Topics: 6, Groups: 5, Queues: 3, OnlineEvery: 2, ActiveEvery: 2})
		if err != nil {
			t.Fatal(err)
		}
		c.Tick()
		rc := remoting.NewClient(remoting.Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		resp, err := rc.Call(ctx, c.Brokers[0].Master.Addr, code, ext, nil)
		cancel()
		rc.Close()
		c.Close()
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		out = append(out, resp.Body)
	}
	return out
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
	seeds = append(seeds, simulatedBodies(f, remoting.GetTopicStatsInfo, map[string]string{"topic": "SELF_TEST_TOPIC"})...)
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
	seeds = append(seeds, simulatedBodies(f, remoting.GetBrokerConsumeStats, map[string]string{"isOrder": "false"})...)
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
			if !r().ReadNormalized(norm) {
				t.Errorf("%s #%d: left to encoding/json: %.200s", name, i, norm)
			}
		}
	}
	check("GET_TOPIC_STATS_INFO", append(recordedBodies(t, "GET_TOPIC_STATS_INFO"),
		simulatedBodies(t, remoting.GetTopicStatsInfo, map[string]string{"topic": "SELF_TEST_TOPIC"})...),
		func() fastjson.NormalizedReader { return &topicStatsWire{} })
	check("GET_BROKER_CONSUME_STATS", append(recordedBodies(t, "GET_BROKER_CONSUME_STATS"),
		simulatedBodies(t, remoting.GetBrokerConsumeStats, nil)...),
		func() fastjson.NormalizedReader { return &brokerConsumeStatsWire{} })
	check("GET_ALL_TOPIC_CONFIG", append(recordedBodies(t, "GET_ALL_TOPIC_CONFIG"),
		simulatedBodies(t, remoting.GetAllTopicConfig, nil)...),
		func() fastjson.NormalizedReader { return &TopicConfigTable{} })
}
