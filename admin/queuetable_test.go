package admin

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/fastjson"
)

func queueOffsetsKey(o QueueOffsets) MessageQueue     { return o.MessageQueue }
func consumeOffsetsKey(o ConsumeOffsets) MessageQueue { return o.MessageQueue }

// FuzzQueueTable holds the hand reader of offset tables to encoding/json:
// whatever it reads, decoding the same table into a map and parsing its
// keys gives the same queues.
func FuzzQueueTable(f *testing.F) {
	for _, s := range [][]byte{
		topicStatsBody(3), brokerConsumeStatsBody(2, 2),
		[]byte(`{"offsetTable":{}}`),
		[]byte(`{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"t"}:{"maxOffset":1},{"brokerName":"b","queueId":1,"topic":"t"}:{"minOffset":2}}}`),
		[]byte(`{"offsetTable":{{"brokerName":"b\"\\","queueId":-1,"topic":"é"}:{"maxOffset":-0,"maxOffset":9223372036854775807}}}`),
		[]byte(`{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"<t>"}:{"maxOffset":1.5}}}`),
		[]byte(`{"offsetTable":{{"topic":"t","brokerName":"b","queueId":1}:{"MaxOffset":1,"pullOffset":3,"brokerOffset":4}}}`),
		[]byte(`{"offsetTable":{"MessageQueue [topic=t, brokerName=b, queueId=2]":{"maxOffset":1,"lastTimestamp":5}}}`),
		[]byte(`{"offsetTable":{{"brokerName":"b","queueId":01,"topic":"t"}:{"maxOffset":null}}}`),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		norm, err := fastjson.Normalize(body)
		if err != nil {
			return
		}
		var top map[string]json.RawMessage
		if json.Unmarshal(norm, &top) != nil || top["offsetTable"] == nil {
			return
		}
		table := top["offsetTable"]
		compareQueueTable(t, table, queueOffsetsKey)
		compareQueueTable(t, table, consumeOffsetsKey)
	})
}

func compareQueueTable[T any, P queueEntry[T]](t *testing.T, table []byte, mq func(T) MessageQueue) {
	t.Helper()
	fast, ok := readQueueTable[T, P](table)
	if !ok {
		return
	}
	var byKey map[string]T
	if err := json.Unmarshal(table, &byKey); err != nil {
		t.Fatalf("%s: read by hand, but encoding/json: %v", table, err)
	}
	want, wantErr := (&queueTable[T, P]{ByKey: byKey}).queues(mq)
	got, err := (&queueTable[T, P]{Queues: fast}).queues(mq)
	if err != nil || wantErr != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n by hand        %+v (%v)\n encoding/json %+v (%v)", table, got, err, want, wantErr)
	}
}
