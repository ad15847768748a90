package admin

import (
	"strconv"
	"strings"
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/fastjson"
)

// mqKey writes a MessageQueue map key as fastjson does: a raw object.
func mqKey(b *strings.Builder, broker string, q int, topic string) {
	b.WriteString(`{"brokerName":"` + broker + `","queueId":` + strconv.Itoa(q) + `,"topic":"` + topic + `"}:`)
}

// topicStatsBody is a GET_TOPIC_STATS_INFO answer of a 5.3.3 broker.
func topicStatsBody(queues int) []byte {
	var b strings.Builder
	b.WriteString(`{"offsetTable":{`)
	for q := range queues {
		if q > 0 {
			b.WriteByte(',')
		}
		mqKey(&b, "broker-a", q, "TopicTest_0042")
		b.WriteString(`{"lastUpdateTimestamp":1795628268885,"maxOffset":1500,"minOffset":0}`)
	}
	b.WriteString(`},"topicPutTps":12.5}`)
	return []byte(b.String())
}

// brokerConsumeStatsBody is a GET_BROKER_CONSUME_STATS answer: groups
// each consuming one topic of queues queues.
func brokerConsumeStatsBody(groups, queues int) []byte {
	var b strings.Builder
	b.WriteString(`{"brokerAddr":"127.0.0.1:10911","consumeStatsList":[`)
	for g := range groups {
		if g > 0 {
			b.WriteByte(',')
		}
		topic := "TopicTest_" + strconv.Itoa(g)
		b.WriteString(`{"GID_` + strconv.Itoa(g) + `":[{"consumeTps":1.5,"offsetTable":{`)
		for q := range queues {
			if q > 0 {
				b.WriteByte(',')
			}
			mqKey(&b, "broker-a", q, topic)
			b.WriteString(`{"brokerOffset":1500,"consumerOffset":1490,"lastTimestamp":1795628267501,"pullOffset":0}`)
		}
		b.WriteString(`}}]}`)
	}
	b.WriteString(`],"totalDiff":18,"totalInflightDiff":-12}`)
	return []byte(b.String())
}

// The decoding half of TopicStats and BrokerConsumeStats, as the client
// runs it on an answer.
func BenchmarkDecodeTopicStats(b *testing.B) {
	body := topicStatsBody(8)
	b.ReportAllocs()
	for b.Loop() {
		var w topicStatsWire
		if err := fastjson.Unmarshal(body, &w); err != nil {
			b.Fatal(err)
		}
		if _, err := w.stats(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeBrokerConsumeStats(b *testing.B) {
	body := brokerConsumeStatsBody(100, 8)
	b.ReportAllocs()
	for b.Loop() {
		var w brokerConsumeStatsWire
		if err := fastjson.Unmarshal(body, &w); err != nil {
			b.Fatal(err)
		}
		w.stats()
	}
}

func BenchmarkParseMessageQueue(b *testing.B) {
	key := `{"brokerName":"broker-a","queueId":3,"topic":"TopicTest_0042"}`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseMessageQueue(key); err != nil {
			b.Fatal(err)
		}
	}
}

// topicConfigBody is a GET_ALL_TOPIC_CONFIG answer of a 5.3.3 broker.
func topicConfigBody(topics int) []byte {
	var b strings.Builder
	b.WriteString(`{"dataVersion":{"counter":3,"stateVersion":0,"timestamp":1795628223313},"topicConfigTable":{`)
	for i := range topics {
		if i > 0 {
			b.WriteByte(',')
		}
		name := "TopicTest_" + strconv.Itoa(i)
		b.WriteString(`"` + name + `":{"attributes":{},"order":false,"perm":6,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"` + name + `","topicSysFlag":0,"writeQueueNums":8}`)
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

func BenchmarkDecodeTopicConfig(b *testing.B) {
	body := topicConfigBody(1000)
	b.ReportAllocs()
	for b.Loop() {
		var t TopicConfigTable
		if err := fastjson.Unmarshal(body, &t); err != nil {
			b.Fatal(err)
		}
	}
}
