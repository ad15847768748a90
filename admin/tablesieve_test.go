package admin

import (
	"encoding/json"
	"maps"
	"reflect"
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/fastjson"
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
