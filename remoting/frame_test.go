package remoting

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"
)

func TestFrameRoundTripJSON(t *testing.T) {
	in := &Command{Code: 315, Language: "GO", Version: 401, Opaque: 7, Flag: 0, Remark: "r",
		ExtFields: map[string]string{"statsName": "TOPIC_PUT_NUMS", "statsKey": "a,b:{c}"}, Body: []byte(`{"x":1}`)}
	wire, err := AppendFrame(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ReadFrame(bytes.NewReader(wire))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n in %+v\nout %+v", in, out)
	}
}

func TestFrameRoundTripBinary(t *testing.T) {
	in := &Command{Code: 1, Language: "JAVA", Version: 479, Opaque: -3, Flag: flagResponse, Remark: "The stats <X> <y> not exist",
		ExtFields: map[string]string{"k": "v", "empty": ""}, Body: []byte("body")}
	out, err := ReadFrame(bytes.NewReader(AppendBinaryFrame(nil, in)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n in %+v\nout %+v", in, out)
	}
}

func frame(kind byte, header, body []byte) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, uint32(4+len(header)+len(body)))
	b = binary.BigEndian.AppendUint32(b, uint32(kind)<<24|uint32(len(header)))
	b = append(b, header...)
	return append(b, body...)
}

func TestReadFrameBadInput(t *testing.T) {
	good, _ := AppendFrame(nil, &Command{Code: 0, Opaque: 1, Flag: 1})
	over := binary.BigEndian.AppendUint32(nil, MaxFrameLength+1)
	hugeHeader := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 8), 0x00FFFFFF)
	cases := map[string][]byte{
		"truncated length":   {0, 0},
		"truncated frame":    good[:len(good)-3],
		"over the cap":       over,
		"header too long":    append(hugeHeader, 0, 0, 0, 0),
		"not JSON":           frame(0, []byte("{code:"), nil),
		"JSON without code":  frame(0, []byte(`{"opaque":1}`), nil),
		"unknown serializer": frame(7, []byte(`{}`), nil),
		"short binary":       frame(1, []byte{0, 1, 2}, nil),
		"binary remark long": frame(1, append(make([]byte, 13), 0x7f, 0xff, 0xff, 0xff), nil),
		"shorter than word":  {0, 0, 0, 2, 0, 0},
	}
	for name, in := range cases {
		_, err := ReadFrame(bytes.NewReader(in))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		var fe *FrameError
		if !errors.As(err, &fe) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: got %v, want a FrameError or unexpected EOF", name, err)
		}
	}
}

func FuzzDecodeFrame(f *testing.F) {
	good, _ := AppendFrame(nil, &Command{Code: 28, Opaque: 9, ExtFields: map[string]string{"a": "b"}, Body: []byte("{}")})
	f.Add(good[4:])
	f.Add(AppendBinaryFrame(nil, &Command{Code: 1, Remark: "x", ExtFields: map[string]string{"k": "v"}})[4:])
	f.Add([]byte{1, 0, 0, 3, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		cmd, err := DecodeFrame(in)
		if err == nil && cmd == nil {
			t.Fatal("nil command without error")
		}
	})
}
