package fastjson

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"a":1}`, `{"a":1}`},
		{`{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"}}`, `{"brokerAddrs":{"0":"127.0.0.1:10911","1":"127.0.0.1:10921"}}`},
		{`{"offsetTable":{{"brokerName":"b","queueId":2,"topic":"T"}:{"brokerOffset":3}}}`,
			`{"offsetTable":{"{\"brokerName\":\"b\",\"queueId\":2,\"topic\":\"T\"}":{"brokerOffset":3}}}`},
		// A topic whose name holds a comma, colon and braces stays string content.
		{`{"t":{{"topic":"a,b:{c}}"}:1}}`, `{"t":{"{\"topic\":\"a,b:{c}}\"}":1}}`},
		{" [ 1 , -2.5e3 , true , null , \"x\\\"y\" ] ", `[1,-2.5e3,true,null,"x\"y"]`},
		{`{"k":{}, "l":[]}`, `{"k":{},"l":[]}`},
		{`{-1:"neg"}`, `{"-1":"neg"}`},
	}
	for _, c := range cases {
		got, err := Normalize([]byte(c.in))
		if err != nil {
			t.Errorf("Normalize(%s): %v", c.in, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("Normalize(%s)\n got %s\nwant %s", c.in, got, c.want)
		}
		if !json.Valid(got) {
			t.Errorf("Normalize(%s) is not valid JSON: %s", c.in, got)
		}
	}
}

func TestNormalizeRejects(t *testing.T) {
	bad := []string{
		``, `{`, `{"a"}`, `{"a":}`, `{"a":1,}x`, `[1 2]`, `"unterminated`, `{"a":tru}`,
		`{"a":"\x"}`, `{"a":"\u12"}`, "\"ctl\x01\"", `{"a":1}}`, `{{"a":1}}`, `{{"a":}:1}`,
		strings.Repeat("[", 1000) + strings.Repeat("]", 1000),
	}
	for _, in := range bad {
		if out, err := Normalize([]byte(in)); err == nil {
			t.Errorf("Normalize(%q) = %s, want an error", in, out)
		}
	}
}

func TestUnmarshalNumericAndObjectKeys(t *testing.T) {
	var v struct {
		M map[string]string `json:"m"`
	}
	if err := Unmarshal([]byte(`{"m":{0:"a",{"x":1}:"b"}}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.M["0"] != "a" || v.M[`{"x":1}`] != "b" {
		t.Fatalf("got %v", v.M)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{0:"x"}`, `{{"topic":"t","queueId":1}:{"o":1}}`, `[1,"a",null]`, `{"a":"\u00e9"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Normalize(in)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("Normalize(%q) produced invalid JSON %q", in, out)
		}
		// Normalising standard JSON again changes nothing.
		again, err := Normalize(out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not idempotent: %q -> %q (%v)", out, again, err)
		}
	})
}

// TestFastjson2Output feeds what fastjson2 2.0.43 (RocketMQ 5.4.0's
// serialiser) wrote for Map<Long,String>, Map<MessageQueue,Long>,
// Map<Integer,Long> and beans holding NaN, +Inf, Long.MAX_VALUE, 1.0E-4 and a
// raw U+2028, with its default features and with BrowserCompatible (used by
// the 5.4.0 namesrv for routes).
func TestFastjson2Output(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{0:"127.0.0.1:10911",1:"x"}`, `{"0":"127.0.0.1:10911","1":"x"}`},
		{`{{"brokerName":"b","queueId":3,"topic":"T,o:p{i}c\"é"}:7}`, `{"{\"brokerName\":\"b\",\"queueId\":3,\"topic\":\"T,o:p{i}c\\\"é\"}":7}`},
		{`{-1:5}`, `{"-1":5}`},
		{"{\"d\":null,\"f\":null,\"l\":9223372036854775807,\"s\":\"ctl\\u0001\\t/\u2028\"}", "{\"d\":null,\"f\":null,\"l\":9223372036854775807,\"s\":\"ctl\\u0001\\t/\u2028\"}"},
		{`{"d":1.0E-4,"f":3.5E10,"l":-1,"s":""}`, `{"d":1.0E-4,"f":3.5E10,"l":-1,"s":""}`},
		// BrowserCompatible: keys already quoted, objects as their toString.
		{`{"MessageQueue [topic=T, brokerName=b, queueId=3]":7}`, `{"MessageQueue [topic=T, brokerName=b, queueId=3]":7}`},
		{`{"d":null,"l":"9223372036854775807"}`, `{"d":null,"l":"9223372036854775807"}`},
	}
	for _, c := range cases {
		got, err := Normalize([]byte(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("Normalize(%s)\n got %s, %v\nwant %s", c.in, got, err, c.want)
		}
	}
	var v struct {
		D *float64 `json:"d"`
		L int64    `json:"l"`
		S string   `json:"s"`
	}
	if err := Unmarshal([]byte("{\"d\":null,\"l\":9223372036854775807,\"s\":\"a\u2028b\"}"), &v); err != nil || v.D != nil || v.L != 1<<63-1 || v.S != "a\u2028b" {
		t.Errorf("decoded %+v, %v", v, err)
	}
}
