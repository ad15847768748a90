package fastjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

var quoteSeeds = []string{
	"", "plain", `q"uote\back/slash`, "<a&b>", "\x00\x01\x1f\x7f", "\b\f\n\r\t",
	"é中𝄞", "line\u2028para\u2029", "bad\xffutf8\xc3", "\xed\xa0\x80", "T,o:p{i}c\"é",
}

// TestAppendStringMatchesMarshal holds AppendString to encoding/json's own
// output, the format it promises.
func TestAppendStringMatchesMarshal(t *testing.T) {
	for _, s := range quoteSeeds {
		checkQuote(t, s)
	}
	for c := range 256 {
		checkQuote(t, string([]byte{'x', byte(c), 'y'}))
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range quoteSeeds {
		f.Add(s)
	}
	f.Fuzz(checkQuote)
}

func checkQuote(t *testing.T, s string) {
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := AppendString([]byte("pre"), s); string(got) != "pre"+string(want) {
		t.Fatalf("AppendString(%q) = %s, json.Marshal = %s", s, got[3:], want)
	}
	if got := AppendString(nil, []byte(s)); string(got) != string(want) {
		t.Fatalf("AppendString([]byte %q) = %s, json.Marshal = %s", s, got, want)
	}
}

// fuzzTarget has a field of every kind the answers decode into, plus an
// interface, which must keep decoding numbers as json.Number.
type fuzzTarget struct {
	S   string                       `json:"s"`
	I   int64                        `json:"i"`
	F   *float64                     `json:"f"`
	B   bool                         `json:"b"`
	M   map[string]map[string]int64  `json:"m"`
	L   []struct{ Topic string }     `json:"l"`
	Raw map[string]json.RawMessage   `json:"raw"`
	Q   map[string]struct{ Max int } `json:"q"`
}

type fuzzAnyTarget struct {
	fuzzTarget
	A any `json:"a"`
}

// referenceUnmarshal is how Unmarshal decoded before it read the
// normalised body in place: a Decoder with UseNumber, for every target.
func referenceUnmarshal(data []byte, v any) error {
	norm, err := Normalize(data)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(norm))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("fastjson: decode: %w", err)
	}
	return nil
}

func FuzzUnmarshalMatchesDecoder(f *testing.F) {
	for _, s := range []string{
		`{"s":"x","i":9223372036854775807,"f":1.0E-4,"b":true,"m":{"t":{0:1}},"l":[{"Topic":"t"}],"a":{"n":12345678901234567890}}`,
		`{"i":1.5}`, `{"s":1}`, `{"q":{{"brokerName":"b","queueId":1,"topic":"t"}:{"Max":3}}}`, `{"raw":{"k":[1,"2"]},"a":[1,2.5]}`,
		`{"I":2,"S":"case"}`, `{"q":{{"brokerName":"b<&>\u2028` + "\u2028\xff" + `","queueId":1,"topic":"t\"\\"}:{"Max":3}}}`, `{"f":null,"m":null}`, `[1]`, `7`, `{"m":{"t":{"x":"y"}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, newTarget := range []func() any{func() any { return new(fuzzTarget) }, func() any { return new(fuzzAnyTarget) }} {
			got, want := newTarget(), newTarget()
			gotErr, wantErr := Unmarshal(in, got), referenceUnmarshal(in, want)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("%q: Unmarshal error %v, Decoder error %v", in, gotErr, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: Unmarshal %+v, Decoder %+v", in, got, want)
			}
		}
	})
}
