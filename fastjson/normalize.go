// Package fastjson turns the bodies RocketMQ writes with fastjson into
// standard JSON. fastjson writes non-string map keys bare: numbers as
// {0:"addr"} and objects as {{"brokerName":"b","queueId":0,"topic":"t"}:{…}}.
// Normalize rewrites such keys as JSON strings ("0", and the object's own
// compact JSON text), so encoding/json can decode into map[string]T and the
// caller parses the key. It is a real tokenizer, not a pattern match, so a
// topic named "a,b:{c}" inside a key or value is just string content.
package fastjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
)

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 256

// SyntaxError reports where a body stopped making sense.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("fastjson: offset %d: %s", e.Offset, e.Msg)
}

type normalizer struct {
	in  []byte
	pos int
	out []byte
	// keyBuf holds a composite key's normalised text until it is quoted
	// into out; reused for every key of the body.
	keyBuf []byte
}

// Normalize returns standard JSON for a fastjson body. Standard JSON passes
// through unchanged (apart from insignificant whitespace).
func Normalize(in []byte) ([]byte, error) {
	return normalizeInto(nil, in)
}

// normalizeInto is Normalize writing into buf's memory when it is large
// enough.
func normalizeInto(buf, in []byte) ([]byte, error) {
	if need := len(in) + len(in)/8; cap(buf) < need {
		buf = make([]byte, 0, need)
	}
	n := &normalizer{in: in, out: buf[:0]}
	n.skipSpace()
	if err := n.value(0); err != nil {
		return nil, err
	}
	n.skipSpace()
	if n.pos != len(n.in) {
		return nil, n.errorf("unexpected %q after the top-level value", n.in[n.pos])
	}
	return n.out, nil
}

// NormalizedReader is a decoding target that reads the usual shapes of
// its normalised body itself, without encoding/json's reflection and
// second validation. ReadNormalized reports whether it did; false must
// leave the value as it was, and Unmarshal then decodes norm as for any
// other target, so results and errors stay encoding/json's. Nothing read
// may keep norm's memory: it serves the next body.
type NormalizedReader interface {
	ReadNormalized(norm []byte) bool
}

// RawReader is a NormalizedReader that also reads the usual shapes of a
// body as fastjson wrote it, saving Normalize's pass. ReadRaw may report
// true only for a body Normalize accepts, having read what ReadNormalized
// or encoding/json would read from Normalize's output; false must leave
// the value as it was, and Unmarshal then normalises as for any target.
type RawReader interface {
	NormalizedReader
	ReadRaw(body []byte) bool
}

// Unmarshal normalises data and decodes it into v. A number decoded into
// an interface value is a json.Number (Java longs do not fit a float64).
func Unmarshal(data []byte, v any) error {
	if r, ok := v.(RawReader); ok && r.ReadRaw(data) {
		return nil
	}
	bp, _ := normBufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	norm, err := normalizeInto(*bp, data)
	if err != nil {
		normBufs.Put(bp)
		return err
	}
	err = decodeNormalized(norm, v)
	if cap(norm) <= maxPooled {
		*bp = norm[:0]
		normBufs.Put(bp)
	}
	return err
}

// normBufs keeps normalised bodies' buffers from one Unmarshal to the next
// (most answers are small and asked for by the ten thousand). Nothing
// keeps a buffer: encoding/json copies what it decodes, and so must a
// NormalizedReader. Large bodies are few; their buffers are not pooled,
// so the pool does not hold megabytes between cycles.
var normBufs sync.Pool

const maxPooled = 1 << 20

func decodeNormalized(norm []byte, v any) error {
	if r, ok := v.(NormalizedReader); ok && r.ReadNormalized(norm) {
		return nil
	}
	if err := decode(norm, v); err != nil {
		return fmt.Errorf("fastjson: decode: %w", err)
	}
	return nil
}

// decode decodes one normalised (so valid, single) value. json.Unmarshal
// reads norm in place; a Decoder would copy it into a buffer of its own
// first, and is needed only for UseNumber, which matters only where the
// target can hold an interface value.
func decode(norm []byte, v any) error {
	if v == nil || !holdsInterface(reflect.TypeOf(v)) {
		return json.Unmarshal(norm, v)
	}
	dec := json.NewDecoder(bytes.NewReader(norm))
	dec.UseNumber()
	return dec.Decode(v)
}

// interfaceHolders caches holdsInterface per type: the answer types are few.
var interfaceHolders sync.Map // reflect.Type -> bool

// holdsInterface reports whether decoding into t can store a value into an
// interface anywhere inside it.
func holdsInterface(t reflect.Type) bool {
	if known, ok := interfaceHolders.Load(t); ok {
		return known.(bool)
	}
	has := reachesInterface(t, map[reflect.Type]bool{})
	interfaceHolders.Store(t, has)
	return has
}

func reachesInterface(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false // a recursive type: its other paths are being walked
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return reachesInterface(t.Elem(), seen)
	case reflect.Map:
		return reachesInterface(t.Key(), seen) || reachesInterface(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if reachesInterface(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

func (n *normalizer) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: n.pos, Msg: fmt.Sprintf(format, args...)}
}

func (n *normalizer) skipSpace() {
	for n.pos < len(n.in) {
		switch n.in[n.pos] {
		case ' ', '\t', '\n', '\r':
			n.pos++
		default:
			return
		}
	}
}

func (n *normalizer) value(depth int) error {
	if depth > maxDepth {
		return n.errorf("nesting deeper than %d", maxDepth)
	}
	if n.pos >= len(n.in) {
		return n.errorf("unexpected end of input")
	}
	switch c := n.in[n.pos]; {
	case c == '{':
		return n.object(depth)
	case c == '[':
		return n.array(depth)
	case c == '"':
		return n.str()
	default:
		tok := n.bareToken()
		if len(tok) == 0 {
			return n.errorf("unexpected %q", c)
		}
		if !validScalar(tok) {
			return n.errorf("invalid value %q", tok)
		}
		n.out = append(n.out, tok...)
		return nil
	}
}

func (n *normalizer) object(depth int) error {
	n.pos++ // {
	n.out = append(n.out, '{')
	n.skipSpace()
	if n.pos < len(n.in) && n.in[n.pos] == '}' {
		n.pos++
		n.out = append(n.out, '}')
		return nil
	}
	for {
		n.skipSpace()
		if err := n.key(depth); err != nil {
			return err
		}
		n.skipSpace()
		if n.pos >= len(n.in) || n.in[n.pos] != ':' {
			return n.errorf("expected ':' after an object key")
		}
		n.pos++
		n.out = append(n.out, ':')
		n.skipSpace()
		if err := n.value(depth + 1); err != nil {
			return err
		}
		n.skipSpace()
		if n.pos >= len(n.in) {
			return n.errorf("unterminated object")
		}
		switch n.in[n.pos] {
		case ',':
			n.pos++
			n.out = append(n.out, ',')
		case '}':
			n.pos++
			n.out = append(n.out, '}')
			return nil
		default:
			return n.errorf("expected ',' or '}' in an object, got %q", n.in[n.pos])
		}
	}
}

// key writes an object key as a JSON string whatever form fastjson chose.
func (n *normalizer) key(depth int) error {
	if n.pos >= len(n.in) {
		return n.errorf("unexpected end of input in an object")
	}
	switch n.in[n.pos] {
	case '"':
		return n.str()
	case '{', '[':
		// A composite key: normalise it on its own, then quote its text.
		if n.keyBuf == nil {
			n.keyBuf = make([]byte, 0, 128) // a MessageQueue key fits
		}
		sub := normalizer{in: n.in, pos: n.pos, out: n.keyBuf[:0]}
		err := sub.value(depth + 1)
		n.keyBuf = sub.out
		if err != nil {
			return err
		}
		n.pos = sub.pos
		n.out = AppendString(n.out, sub.out)
		return nil
	default:
		tok := n.bareToken()
		if len(tok) == 0 {
			return n.errorf("expected an object key, got %q", n.in[n.pos])
		}
		n.out = AppendString(n.out, tok)
		return nil
	}
}

func (n *normalizer) array(depth int) error {
	n.pos++ // [
	n.out = append(n.out, '[')
	n.skipSpace()
	if n.pos < len(n.in) && n.in[n.pos] == ']' {
		n.pos++
		n.out = append(n.out, ']')
		return nil
	}
	for {
		n.skipSpace()
		if err := n.value(depth + 1); err != nil {
			return err
		}
		n.skipSpace()
		if n.pos >= len(n.in) {
			return n.errorf("unterminated array")
		}
		switch n.in[n.pos] {
		case ',':
			n.pos++
			n.out = append(n.out, ',')
		case ']':
			n.pos++
			n.out = append(n.out, ']')
			return nil
		default:
			return n.errorf("expected ',' or ']' in an array, got %q", n.in[n.pos])
		}
	}
}

// str copies a string literal, validating escapes and control characters.
func (n *normalizer) str() error {
	start := n.pos
	n.pos++ // opening quote
	for n.pos < len(n.in) {
		c := n.in[n.pos]
		switch {
		case c == '"':
			n.pos++
			n.out = append(n.out, n.in[start:n.pos]...)
			return nil
		case c == '\\':
			if n.pos+1 >= len(n.in) {
				return n.errorf("unterminated escape")
			}
			switch n.in[n.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				n.pos += 2
			case 'u':
				if n.pos+6 > len(n.in) || !isHex4(n.in[n.pos+2:n.pos+6]) {
					return n.errorf("bad \\u escape")
				}
				n.pos += 6
			default:
				return n.errorf("bad escape \\%c", n.in[n.pos+1])
			}
		case c < 0x20:
			return n.errorf("control character in a string")
		default:
			n.pos++
		}
	}
	return n.errorf("unterminated string")
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// bareToken consumes an unquoted run: a number, true/false/null, or a bare
// key. It stops at structural characters and whitespace.
func (n *normalizer) bareToken() []byte {
	start := n.pos
	for n.pos < len(n.in) {
		switch n.in[n.pos] {
		case ',', ':', '{', '}', '[', ']', '"', ' ', '\t', '\n', '\r':
			return n.in[start:n.pos]
		}
		n.pos++
	}
	return n.in[start:n.pos]
}

func validScalar(tok []byte) bool {
	switch string(tok) {
	case "true", "false", "null":
		return true
	}
	return json.Valid(tok)
}
