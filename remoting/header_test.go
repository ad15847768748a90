package remoting

import (
	"encoding/json"
	"reflect"
	"testing"
)

// headerCases are commands whose header text needs every kind of escape
// encoding/json writes: quotes, backslashes, control characters, HTML
// characters, U+2028/U+2029 and invalid UTF-8, in values and in keys.
var headerCases = []*Command{
	{},
	{Code: 315, Language: "GO", Version: 401, Opaque: 7, ExtFields: map[string]string{"statsName": "TOPIC_PUT_NUMS", "statsKey": "a,b:{c}"}},
	{Code: -1, Version: -479, Opaque: -2147483648, Flag: 2147483647, Remark: "The stats <X> <y> not exist & \"q\"\\"},
	{Code: 1 << 40, Language: "J\"AVA\x00", Remark: "\b\f\n\r\t\x01\x1f\x7f", ExtFields: map[string]string{}},
	{ExtFields: map[string]string{"": "", "<k>": "v\u2028\u2029", "z\xff": "é中𝄞\xc3", "a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6", "g": "7"}},
}

func TestAppendFrameHeaderMatchesMarshal(t *testing.T) {
	for _, c := range headerCases {
		checkHeader(t, c)
	}
}

func FuzzAppendFrameHeader(f *testing.F) {
	f.Add(315, "GO", 401, int32(7), int32(0), "", "statsKey", "a,b:{c}", "statsName", "<&>\u2028\xff")
	f.Fuzz(func(t *testing.T, code int, lang string, version int, opaque, flag int32, remark, k1, v1, k2, v2 string) {
		checkHeader(t, &Command{Code: code, Language: lang, Version: version, Opaque: opaque, Flag: flag, Remark: remark,
			ExtFields: map[string]string{k1: v1, k2: v2}})
		checkHeader(t, &Command{Code: code, Remark: lang + k1 + v1})
	})
}

// checkHeader holds the frame's header to json.Marshal's bytes (what the
// encoder wrote before) and reads it back through both decoders.
func checkHeader(t *testing.T, c *Command) {
	t.Helper()
	want, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	c.Body = []byte("body")
	f, err := AppendFrame([]byte("prefix"), c)
	if err != nil {
		t.Fatal(err)
	}
	if string(f[:6]) != "prefix" {
		t.Fatalf("AppendFrame overwrote dst: %q", f[:6])
	}
	got := f[6+8 : len(f)-len(c.Body)]
	if string(got) != string(want) {
		t.Fatalf("header\n got %s\nwant %s", got, want)
	}
	checkDecoders(t, got)
}

// checkDecoders compares the fast path with encoding/json on one header:
// whatever the fast path reads, encoding/json reads the same.
func checkDecoders(t *testing.T, h []byte) {
	t.Helper()
	fast, ok := decodeJSONHeaderFast(h)
	ref, refErr := decodeJSONHeaderReflect(h)
	if !ok {
		return
	}
	if refErr != nil || !reflect.DeepEqual(fast, ref) {
		t.Fatalf("%q: fast path %+v, encoding/json %+v (%v)", h, fast, ref, refErr)
	}
}

func FuzzDecodeJSONHeader(f *testing.F) {
	for _, h := range benchHeaders {
		f.Add([]byte(h))
	}
	for _, h := range []string{
		`{"code":1,"Code":2}`, `{"code":1,"code":2}`, `{"code":1.0}`, `{"code":01}`, `{"code":-0}`, `{"code":null}`,
		`{"code":1,"opaque":2147483648}`, `{"code":1,"extFields":null}`, `{"code":1,"extFields":{"a":"1","a":"2"}}`,
		`{"code":1,"remark":"a\u00e9\n\/\"b"}`, `{"code":1,"remark":"\xff"}`, ` { "code" : 1 , "x" : [1] } `,
		`{"code":1,"x":{"y":1}}`, `{"code":1,"x":true,"y":false,"z":null,"w":-12,"v":"s"}`, `{"code":1}x`,
		`{"code":1,"language":"JAVA","extFields":{"k":"v\t"}}`, `{"code":1,"ſ":1,"\u212a":2,"remarK":"x"}`, `{}`, `[]`,
	} {
		f.Add([]byte(h))
	}
	f.Fuzz(func(t *testing.T, h []byte) { checkDecoders(t, h) })
}
