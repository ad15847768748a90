package admin

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"sync"
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/fastjson"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting/remotingtest"
)

// keepEven keeps the entries whose names are of even length whole.
func keepEven(name string) bool { return len(name)%2 == 0 }

// siftedReads reads body every way a sifted table is read: by hand raw,
// by hand normalised, and by encoding/json then sifted (the fallback).
func siftedReads[T any, PT interface {
	*T
	fastjson.RawReader
	sift()
}](t *testing.T, body, norm []byte, fresh func() PT) map[string]PT {
	out := map[string]PT{}
	if w := fresh(); w.ReadRaw(body) {
		out["raw"] = w
	}
	if w := fresh(); w.ReadNormalized(norm) {
		out["normalised"] = w
	}
	w := fresh()
	if err := json.Unmarshal(norm, w); err != nil {
		t.Fatalf("encoding/json read the table without a sieve, not with one: %v", err)
	}
	w.sift()
	out["encoding/json"] = w
	return out
}

// FuzzSiftedTopicConfig holds every read of a topic table under a sieve to
// its promise against the whole table: the kept topics' configs whole,
// every other topic by name and queue count, nothing else.
func FuzzSiftedTopicConfig(f *testing.F) {
	for _, s := range topicConfigSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		norm, err := fastjson.Normalize(body)
		if err != nil {
			return
		}
		var whole TopicConfigTable
		if json.Unmarshal(norm, &whole) != nil {
			return
		}
		want := TopicConfigTable{DataVersion: whole.DataVersion}
		for name, tc := range whole.TopicConfigTable {
			if keepEven(name) {
				if want.TopicConfigTable == nil {
					want.TopicConfigTable = map[string]TopicConfig{}
				}
				want.TopicConfigTable[name] = tc
				continue
			}
			if want.Others == nil {
				want.Others = map[string]int32{}
			}
			want.Others[name] = int32(max(tc.ReadQueueNums, tc.WriteQueueNums))
		}
		reads := siftedReads(t, body, norm, func() *TopicConfigTable { return &TopicConfigTable{keep: keepEven} })
		for path, got := range reads {
			got.keep = nil
			if len(got.TopicConfigTable) == 0 && len(want.TopicConfigTable) == 0 {
				got.TopicConfigTable = nil // an empty map where encoding/json made one
			}
			if !reflect.DeepEqual(*got, want) {
				t.Fatalf("%s:\n got %+v\nwant %+v", path, *got, want)
			}
			all := map[string]int{}
			for name, q := range got.Queues() {
				all[name] = q
			}
			if len(all) != got.Len() || len(all) != len(whole.TopicConfigTable) {
				t.Fatalf("%s: Queues yields %d, Len %d, the broker holds %d", path, len(all), got.Len(), len(whole.TopicConfigTable))
			}
			for name := range whole.TopicConfigTable {
				if !got.Has(name) {
					t.Fatalf("%s: Has(%q) is false", path, name)
				}
			}
		}
	})
}

// FuzzSiftedSubscriptionGroups is FuzzSiftedTopicConfig for groups: the
// kept groups' configs whole, every other group by name.
func FuzzSiftedSubscriptionGroups(f *testing.F) {
	for _, s := range groupConfigSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		norm, err := fastjson.Normalize(body)
		if err != nil {
			return
		}
		var whole SubscriptionGroupTable
		if json.Unmarshal(norm, &whole) != nil {
			return
		}
		want := SubscriptionGroupTable{DataVersion: whole.DataVersion}
		for name, g := range whole.SubscriptionGroupTable {
			if keepEven(name) {
				if want.SubscriptionGroupTable == nil {
					want.SubscriptionGroupTable = map[string]SubscriptionGroupConfig{}
				}
				want.SubscriptionGroupTable[name] = g
				continue
			}
			if want.Others == nil {
				want.Others = map[string]struct{}{}
			}
			want.Others[name] = struct{}{}
		}
		reads := siftedReads(t, body, norm, func() *SubscriptionGroupTable { return &SubscriptionGroupTable{keep: keepEven} })
		for path, got := range reads {
			got.keep = nil
			if len(got.SubscriptionGroupTable) == 0 && len(want.SubscriptionGroupTable) == 0 {
				got.SubscriptionGroupTable = nil
			}
			if !reflect.DeepEqual(*got, want) {
				t.Fatalf("%s:\n got %+v\nwant %+v", path, *got, want)
			}
			names := maps.Collect(func(yield func(string, bool) bool) {
				for n := range got.Names() {
					if !yield(n, got.Has(n)) {
						return
					}
				}
			})
			if len(names) != got.Len() || len(names) != len(whole.SubscriptionGroupTable) {
				t.Fatalf("%s: Names yields %d, Len %d, the broker holds %d", path, len(names), got.Len(), len(whole.SubscriptionGroupTable))
			}
			for name := range whole.SubscriptionGroupTable {
				if !names[name] {
					t.Fatalf("%s: %q missing from Names or Has", path, name)
				}
			}
		}
	})
}

func TestLeadingVersion(t *testing.T) {
	for body, want := range map[string]string{
		`{"dataVersion":{"counter":3,"timestamp":1795628173022},"topicConfigTable":{}}`:                    `{"counter":3,"timestamp":1795628173022}`,
		`{"dataVersion":{"counter":3,"stateVersion":0,"timestamp":-1},"mappingDataVersion":{"counter":0}}`: `{"counter":3,"stateVersion":0,"timestamp":-1}`,
		`{"topicConfigTable":{},"dataVersion":{"counter":3}}`:                                              "", // not first
		`{"dataVersion":{"a":{"counter":1},"counter":3}}`:                                                  "", // nested: its first '}' is not its end
		`{"dataVersion":{"note":"a}b","counter":3}}`:                                                       "", // a string could hold '}'
		`{"dataVersion":{"counter":3.5}}`:                                                                  "",
		`{"dataVersion":{"counter":3`:                                                                      "",
		`{"dataVersion":null}`:                                                                             "",
	} {
		if got := string(leadingVersion([]byte(body))); got != want {
			t.Errorf("leadingVersion(%s) = %q, want %q", body, got, want)
		}
	}
}

// A table answer with the kept table's data version is not decoded: the
// kept table comes back. Any other version, or an answer that does not
// start with its version, is read whole; nothing of the answer's body is
// kept (the version is a copy).
func TestTableAnswerReadOnlyWhenTheVersionMoves(t *testing.T) {
	bodies := map[int][]string{
		remoting.GetAllTopicConfig: {
			`{"dataVersion":{"counter":1,"timestamp":5},"topicConfigTable":{"ab":{"readQueueNums":4},"abc":{"writeQueueNums":2}}}`,
			`{"dataVersion":{"counter":1,"timestamp":5},"topicConfigTable":{"ab":{"readQueueNums":4},"abc":{"writeQueueNums":2}}}`,
			`{"dataVersion":{"counter":2,"timestamp":6},"topicConfigTable":{"ab":{"readQueueNums":4}}}`,
			`{"topicConfigTable":{"cde":{"readQueueNums":1}},"dataVersion":{"counter":2,"timestamp":6}}`,
			`{"topicConfigTable":{"cde":{"readQueueNums":1}},"dataVersion":{"counter":2,"timestamp":6}}`,
		},
		remoting.GetAllSubscriptionGroupConfig: {
			`{"dataVersion":{"counter":1,"timestamp":5},"subscriptionGroupTable":{"gg":{"consumeEnable":true},"ggg":{}}}`,
			`{"dataVersion":{"counter":1,"timestamp":5},"subscriptionGroupTable":{"gg":{"consumeEnable":true},"ggg":{}}}`,
			`{"dataVersion":{"counter":1,"timestamp":7},"subscriptionGroupTable":{"gg":{}}}`,
			`{"dataVersion":null,"subscriptionGroupTable":{"hh":{}}}`,
			`{"dataVersion":null,"subscriptionGroupTable":{"hh":{}}}`,
		},
	}
	var mu sync.Mutex
	asked := map[int]int{}
	addr := remotingtest.Serve(t, func(req *remoting.Command, _ string) *remoting.Command {
		mu.Lock()
		defer mu.Unlock()
		n := asked[req.Code]
		asked[req.Code]++
		return &remoting.Command{Body: []byte(bodies[req.Code][n])}
	})
	rc := remoting.NewClient(remoting.Options{})
	defer rc.Close()
	c := New(rc)
	ctx := context.Background()
	reused := []bool{false, true, false, false, false}

	var lastT *TopicConfigTable
	for i, want := range reused {
		got, err := c.SiftedTopicConfig(ctx, addr, keepEven, lastT)
		if err != nil {
			t.Fatal(err)
		}
		if (got == lastT) != want {
			t.Fatalf("topic answer %d: kept table returned %v, want %v", i, got == lastT, want)
		}
		if !want && (got.Len() == 0 || got.keep != nil) {
			t.Fatalf("topic answer %d not read: %+v", i, got)
		}
		lastT = got
	}
	if q, ok := lastT.Others["cde"]; lastT.Len() != 1 || !ok || q != 1 {
		t.Fatalf("last topic table %+v, want cde sifted with 1 queue", lastT)
	}

	var lastG *SubscriptionGroupTable
	for i, want := range reused {
		got, err := c.SiftedSubscriptionGroups(ctx, addr, keepEven, lastG)
		if err != nil {
			t.Fatal(err)
		}
		if (got == lastG) != want {
			t.Fatalf("group answer %d: kept table returned %v, want %v", i, got == lastG, want)
		}
		lastG = got
	}
	if !lastG.Has("hh") || lastG.Len() != 1 {
		t.Fatalf("last group table %+v, want hh", lastG)
	}
}
