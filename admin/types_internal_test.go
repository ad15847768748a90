package admin

import (
	"encoding/json"
	"testing"
)

// TestParseMessageQueueKeys reads the key forms fastjson writes for a
// MessageQueue map key (the strings below are what fastjson 1.2.83 and
// fastjson2 2.0.43 produced for MessageQueue("T,o:p{i}c\"é", "b", 3),
// after normalisation).
func TestParseMessageQueueKeys(t *testing.T) {
	want := MessageQueue{Topic: "T,o:p{i}c\"é", BrokerName: "b", QueueID: 3}
	for _, key := range []string{
		`{"brokerName":"b","queueId":3,"topic":"T,o:p{i}c\"é"}`,     // default features, 1 and 2
		`MessageQueue [topic=T,o:p{i}c"é, brokerName=b, queueId=3]`, // fastjson2 BrowserCompatible
	} {
		got, err := parseMessageQueue(key)
		if err != nil || got != want {
			t.Errorf("parseMessageQueue(%s) = %+v, %v; want %+v", key, got, err, want)
		}
	}
	for _, bad := range []string{
		`MessageQueue [topic=T, brokerName=b, queueId=x]`, `MessageQueue [topic=T, brokerName=b, queueId=3`,
		`MessageQueue [topic=T, queueId=3]`, `MessageQueue [T, brokerName=b, queueId=3]`, `{"topic":`, `7`,
	} {
		if mq, err := parseMessageQueue(bad); err == nil {
			t.Errorf("parseMessageQueue(%s) = %+v, want an error", bad, mq)
		}
	}
}

// FuzzParseMessageQueue holds the hand-read object form to encoding/json:
// whatever the fast path accepts must decode to the same queue there.
func FuzzParseMessageQueue(f *testing.F) {
	for _, s := range []string{
		`{"brokerName":"b","queueId":3,"topic":"T"}`, `{"brokerName":"b","queueId":-0,"topic":"é"}`,
		`{"brokerName":"b","queueId":01,"topic":"T"}`, `{"brokerName":"b\"","queueId":1,"topic":"T"}`,
		`{"brokerName":"b","queueId":99999999999999999999,"topic":"T"}`, `{"brokerName":"\xff","queueId":1,"topic":"T"}`,
		`{"brokerName":"b","queueId":1,"topic":"T"} `, `{"brokerName":"b","queueId":1.0,"topic":"T"}`,
		`{"brokerName":"b","queueId":1,"topic":"a\tb"}`, `{"topic":"T","brokerName":"b","queueId":3}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		fast, ok := parseMessageQueueObject(key)
		if !ok {
			return
		}
		var want MessageQueue
		if err := json.Unmarshal([]byte(key), &want); err != nil || fast != want {
			t.Fatalf("%q: fast path %+v, encoding/json %+v (%v)", key, fast, want, err)
		}
	})
}
