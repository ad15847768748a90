package remoting

import "testing"

// benchRequest is what the poller sends most: a stat-item read.
var benchRequest = &Command{Code: ViewBrokerStatsData, Language: LanguageGo, Version: ProtocolVersion, Opaque: 123456,
	ExtFields: map[string]string{"statsName": "TOPIC_PUT_NUMS", "statsKey": "TopicTest_0042"}}

func BenchmarkAppendFrame(b *testing.B) {
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendFrame(buf[:0], benchRequest); err != nil {
			b.Fatal(err)
		}
	}
}

// A response header as a 5.3.3 broker writes it (fastjson: keys sorted,
// serializeTypeCurrentRPC included) and as the simulator writes it.
var benchHeaders = map[string]string{
	"broker":    `{"code":0,"extFields":{},"flag":1,"language":"JAVA","opaque":123456,"serializeTypeCurrentRPC":"JSON","version":479}`,
	"simulator": `{"code":0,"language":"JAVA","version":479,"opaque":123456,"flag":1}`,
	"remark":    `{"code":1,"flag":1,"language":"JAVA","opaque":123456,"remark":"The stats <TOPIC_PUT_NUMS> <t> not exist","serializeTypeCurrentRPC":"JSON","version":479}`,
}

func BenchmarkDecodeFrame(b *testing.B) {
	for name, h := range benchHeaders {
		b.Run(name, func(b *testing.B) {
			f := frame(SerializeJSON, []byte(h), []byte(`{"statsMinute":{"sum":1,"tps":0.5,"avgpt":0.0}}`))[4:]
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeFrame(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
