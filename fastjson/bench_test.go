package fastjson

import (
	"strconv"
	"strings"
	"testing"
)

// topicStatsBody is a GET_TOPIC_STATS_INFO answer as a 5.3.3 broker writes
// it: queues keyed by raw MessageQueue objects.
func topicStatsBody(queues int) []byte {
	var b strings.Builder
	b.WriteString(`{"offsetTable":{`)
	for q := range queues {
		if q > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"brokerName":"broker-a","queueId":` + strconv.Itoa(q) + `,"topic":"TopicTest_0042"}:`)
		b.WriteString(`{"lastUpdateTimestamp":1795628268885,"maxOffset":1500,"minOffset":0}`)
	}
	b.WriteString(`},"topicPutTps":12.5}`)
	return []byte(b.String())
}

func BenchmarkUnmarshalTopicStats(b *testing.B) {
	body := topicStatsBody(8)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var v struct {
			OffsetTable map[string]struct {
				MinOffset           int64 `json:"minOffset"`
				MaxOffset           int64 `json:"maxOffset"`
				LastUpdateTimestamp int64 `json:"lastUpdateTimestamp"`
			} `json:"offsetTable"`
			TopicPutTps *float64 `json:"topicPutTps"`
		}
		if err := Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalizeTopicStats(b *testing.B) {
	body := topicStatsBody(8)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Normalize(body); err != nil {
			b.Fatal(err)
		}
	}
}
