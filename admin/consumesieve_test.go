package admin

import (
	"cmp"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/fastjson"
)

// testSieve keeps groups with names of even length whole and, of the
// others, the topics whose names are not a multiple of three long.
var testSieve = &ConsumeSieve{
	Group: func(g string) bool { return len(g)%2 == 0 },
	Topic: func(t string) bool { return len(t)%3 != 0 },
}

func TestSiftedConsumeStats(t *testing.T) {
	// A broker writes no spacing: the hand reader takes no other.
	body := []byte(strings.NewReplacer("\n", "", "\t", "").Replace(`{"brokerAddr":"a","totalDiff":7,"consumeStatsList":[
		{"gg":[{"consumeTps":1.5,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"abc"}:{"brokerOffset":9,"consumerOffset":4,"lastTimestamp":3}}}]},
		{"odd":[{"consumeTps":2,"offsetTable":{
			{"brokerName":"b","queueId":1,"topic":"mine"}:{"brokerOffset":20,"consumerOffset":5,"pullOffset":6,"lastTimestamp":3},
			{"brokerName":"b","queueId":0,"topic":"mine"}:{"brokerOffset":10,"consumerOffset":5}}},
			{"consumeTps":3,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"abc"}:{"brokerOffset":9,"consumerOffset":1}}}]}]}`))
	w := brokerConsumeStatsWire{sieve: testSieve}
	if !w.ReadRaw(body) {
		t.Fatal("the hand reader refused the body")
	}
	got := w.stats()
	mq := func(topic string, id int) MessageQueue {
		return MessageQueue{Topic: topic, BrokerName: "b", QueueID: id}
	}
	want := &BrokerConsumeStats{BrokerAddr: "a", TotalDiff: 7, Groups: []GroupConsumeStats{
		{Group: "gg", Stats: []ConsumeStats{{ConsumeTps: 1.5, Queues: []ConsumeOffsets{{MessageQueue: mq("abc", 0), BrokerOffset: 9, ConsumerOffset: 4, LastTimestamp: 3}}}}},
		{Group: "odd", Sifted: true, Topics: []string{"mine", "abc"}, Stats: []ConsumeStats{
			{Queues: []ConsumeOffsets{{MessageQueue: mq("mine", 0), BrokerOffset: 10}, {MessageQueue: mq("mine", 1), BrokerOffset: 20}}}}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("sifted:\n got %+v\nwant %+v", got, want)
	}
}

// FuzzSiftedConsumeStats holds every way of reading an answer with a sieve
// (by hand raw, by hand normalised, encoding/json) to what the sieve
// promises of the whole answer read without one.
func FuzzSiftedConsumeStats(f *testing.F) {
	for _, s := range brokerConsumeStatsSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		norm, err := fastjson.Normalize(body)
		if err != nil {
			return
		}
		var whole brokerConsumeStatsWire
		if json.Unmarshal(norm, &whole) != nil {
			return
		}
		want := whole.stats()
		if w := (brokerConsumeStatsWire{sieve: testSieve}); w.ReadRaw(body) {
			keepsThePromise(t, "raw", want, w.stats())
		}
		if w := (brokerConsumeStatsWire{sieve: testSieve}); w.ReadNormalized(norm) {
			keepsThePromise(t, "normalised", want, w.stats())
		}
		w := brokerConsumeStatsWire{sieve: testSieve}
		if err := json.Unmarshal(norm, &w); err != nil {
			t.Fatalf("encoding/json read it without a sieve, not with one: %v", err)
		}
		keepsThePromise(t, "encoding/json", want, w.stats())
	})
}

// keepsThePromise checks a sifted read against the whole one: the same
// groups in the same order; those the sieve keeps, whole; of the others,
// the topics they had offsets on, and the broker offset of each queue of
// the sieve's topics, nothing else.
func keepsThePromise(t *testing.T, path string, whole, got *BrokerConsumeStats) {
	t.Helper()
	whole, got = inTotalOrder(whole), inTotalOrder(got)
	if got.BrokerAddr != whole.BrokerAddr || got.TotalDiff != whole.TotalDiff || len(got.Groups) != len(whole.Groups) {
		t.Fatalf("%s: %+v, whole %+v", path, got, whole)
	}
	for i, g := range got.Groups {
		w := whole.Groups[i]
		if testSieve.Group(w.Group) {
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("%s: kept group %+v, whole %+v", path, g, w)
			}
			continue
		}
		var topics []string
		var offsets []ConsumeOffsets
		for _, cs := range w.Stats {
			for _, q := range cs.Queues {
				if !slices.Contains(topics, q.Topic) {
					topics = append(topics, q.Topic)
				}
				if testSieve.Topic(q.Topic) {
					offsets = append(offsets, ConsumeOffsets{MessageQueue: q.MessageQueue, BrokerOffset: q.BrokerOffset})
				}
			}
		}
		var gotOffsets []ConsumeOffsets
		for _, cs := range g.Stats {
			if cs.ConsumeTps != 0 || len(cs.Queues) == 0 {
				t.Fatalf("%s: sifted group %q keeps %+v", path, g.Group, cs)
			}
			gotOffsets = append(gotOffsets, cs.Queues...)
		}
		gotTopics := slices.Compact(slices.Clone(g.Topics))
		if g.Group != w.Group || !g.Sifted || !sameSet(gotTopics, topics) || !reflect.DeepEqual(gotOffsets, offsets) {
			t.Fatalf("%s: sifted group %+v, whole %+v", path, g, w)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// inTotalOrder sorts every list's queues by all their fields: two keys
// naming one queue (which no broker writes) come out of encoding/json's
// map in either order.
func inTotalOrder(bcs *BrokerConsumeStats) *BrokerConsumeStats {
	out := *bcs
	out.Groups = slices.Clone(bcs.Groups)
	for i := range out.Groups {
		g := &out.Groups[i]
		g.Stats = slices.Clone(g.Stats)
		for j := range g.Stats {
			qs := slices.Clone(g.Stats[j].Queues)
			slices.SortStableFunc(qs, func(a, b ConsumeOffsets) int {
				return cmp.Or(compareQueues(a.MessageQueue, b.MessageQueue), cmp.Compare(a.BrokerOffset, b.BrokerOffset),
					cmp.Compare(a.ConsumerOffset, b.ConsumerOffset), cmp.Compare(a.PullOffset, b.PullOffset),
					cmp.Compare(a.LastTimestamp, b.LastTimestamp))
			})
			g.Stats[j].Queues = qs
		}
	}
	return &out
}

func compareQueues(a, b MessageQueue) int {
	return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.BrokerName, b.BrokerName), cmp.Compare(a.QueueID, b.QueueID))
}
