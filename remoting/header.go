package remoting

import (
	"bytes"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/rocketmq-exporter/rocketmq_exporter/fastjson"
)

// Every request and response carries a JSON header of seven known fields;
// reflection over them cost more allocations than the rest of a small
// frame. The hand encoder writes exactly what json.Marshal writes for a
// Command; the decoder reads the usual shapes and leaves anything else to
// encoding/json, so both decoders answer alike (fuzzed against each other).

// appendJSONHeader appends json.Marshal(cmd)'s bytes: fields in struct
// order, omitempty honoured, extFields' keys sorted.
func appendJSONHeader(dst []byte, cmd *Command) []byte {
	dst = append(dst, `{"code":`...)
	dst = strconv.AppendInt(dst, int64(cmd.Code), 10)
	if cmd.Language != "" {
		dst = append(dst, `,"language":`...)
		dst = fastjson.AppendString(dst, cmd.Language)
	}
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendInt(dst, int64(cmd.Version), 10)
	dst = append(dst, `,"opaque":`...)
	dst = strconv.AppendInt(dst, int64(cmd.Opaque), 10)
	dst = append(dst, `,"flag":`...)
	dst = strconv.AppendInt(dst, int64(cmd.Flag), 10)
	if cmd.Remark != "" {
		dst = append(dst, `,"remark":`...)
		dst = fastjson.AppendString(dst, cmd.Remark)
	}
	if len(cmd.ExtFields) > 0 {
		dst = append(dst, `,"extFields":`...)
		dst = appendExtFields(dst, cmd.ExtFields)
	}
	return append(dst, '}')
}

func appendExtFields(dst []byte, ext map[string]string) []byte {
	var onStack [8]string // requests carry two or three fields
	keys := onStack[:0]
	for k := range ext {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = fastjson.AppendString(dst, k)
		dst = append(dst, ':')
		dst = fastjson.AppendString(dst, ext[k])
	}
	return append(dst, '}')
}

// headerFields are the names decodeJSONHeader knows; encoding/json would
// also match them in another case, which the fast path leaves to it.
var headerFields = []string{"code", "language", "version", "opaque", "flag", "remark", "extFields"}

// headerReader is the fast path's cursor. Its methods report ok=false for
// anything outside the shapes it reads, never an error: encoding/json then
// decodes the header and says what is wrong with it.
type headerReader struct {
	b   []byte
	pos int
}

// decodeJSONHeaderFast reads an object of the known fields (each at most
// once) and unknown fields with scalar values. ok is false when the header
// is anything else.
func decodeJSONHeaderFast(b []byte) (cmd *Command, ok bool) {
	r := &headerReader{b: b}
	cmd = &Command{}
	var seen uint
	haveCode := false
	if !r.byte('{') {
		return nil, false
	}
	if r.byte('}') {
		return nil, false // no code: encoding/json words the error
	}
	for {
		name, ok := r.key()
		if !ok {
			return nil, false
		}
		field := fieldIndex(name)
		if field >= 0 {
			if seen&(1<<field) != 0 {
				return nil, false
			}
			seen |= 1 << field
		}
		switch string(name) {
		case "code":
			var c int64
			c, ok = r.int(strconv.IntSize)
			cmd.Code, haveCode = int(c), ok
		case "language":
			var lang []byte
			lang, ok = r.strBytes()
			cmd.Language = knownLanguage(lang)
		case "version":
			var v int64
			v, ok = r.int(strconv.IntSize)
			cmd.Version = int(v)
		case "opaque":
			var v int64
			v, ok = r.int(32)
			cmd.Opaque = int32(v)
		case "flag":
			var v int64
			v, ok = r.int(32)
			cmd.Flag = int32(v)
		case "remark":
			cmd.Remark, ok = r.str()
		case "extFields":
			cmd.ExtFields, ok = r.stringMap()
		default:
			ok = !foldsToField(name) && r.skipScalar()
		}
		if !ok {
			return nil, false
		}
		if r.byte(',') {
			continue
		}
		if !r.byte('}') {
			return nil, false
		}
		r.space()
		return cmd, haveCode && r.pos == len(r.b)
	}
}

func fieldIndex(name []byte) int {
	for i, f := range headerFields {
		if string(name) == f {
			return i
		}
	}
	return -1
}

func foldsToField(name []byte) bool {
	for _, f := range headerFields {
		if bytes.EqualFold(name, []byte(f)) {
			return true
		}
	}
	return false
}

// knownLanguage returns the constant for the names brokers send, so a
// response's language costs no allocation.
func knownLanguage(b []byte) string {
	for _, name := range languageNames {
		if string(b) == name {
			return name
		}
	}
	return string(b)
}

func (r *headerReader) space() {
	for r.pos < len(r.b) {
		switch r.b[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// byte consumes c (after whitespace) if it is next.
func (r *headerReader) byte(c byte) bool {
	r.space()
	if r.pos < len(r.b) && r.b[r.pos] == c {
		r.pos++
		return true
	}
	return false
}

// key reads an object key and its colon.
func (r *headerReader) key() ([]byte, bool) {
	k, ok := r.strBytes()
	return k, ok && r.byte(':')
}

// str reads a string without \u escapes, control characters or invalid
// UTF-8 (encoding/json substitutes U+FFFD for those; it may do so itself).
func (r *headerReader) str() (string, bool) {
	b, ok := r.strBytes()
	return string(b), ok
}

// strBytes is str's text, in r.b's memory when it has no escapes.
func (r *headerReader) strBytes() ([]byte, bool) {
	r.space()
	if r.pos >= len(r.b) || r.b[r.pos] != '"' {
		return nil, false
	}
	start := r.pos + 1
	var out []byte // only when there are escapes
	for i := start; i < len(r.b); i++ {
		switch c := r.b[i]; {
		case c == '"':
			raw := r.b[start:i]
			r.pos = i + 1
			if !utf8.Valid(raw) {
				return nil, false
			}
			if out == nil {
				return raw, true
			}
			return out, true
		case c < 0x20:
			return nil, false
		case c == '\\':
			if i+1 >= len(r.b) {
				return nil, false
			}
			e, ok := shortEscape(r.b[i+1])
			if !ok {
				return nil, false
			}
			if out == nil {
				out = append(make([]byte, 0, i-start+16), r.b[start:i]...)
			}
			out = append(out, e)
			i++
		default:
			if out != nil {
				out = append(out, c)
			}
		}
	}
	return nil, false
}

// shortEscape is the byte a two-character escape stands for.
func shortEscape(c byte) (byte, bool) {
	switch c {
	case '"', '\\', '/':
		return c, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

// int reads a JSON integer (no fraction or exponent) that fits bits.
func (r *headerReader) int(bits int) (int64, bool) {
	r.space()
	start := r.pos
	if r.pos < len(r.b) && r.b[r.pos] == '-' {
		r.pos++
	}
	digits := r.pos
	for r.pos < len(r.b) && r.b[r.pos] >= '0' && r.b[r.pos] <= '9' {
		r.pos++
	}
	n := r.pos - digits
	if n == 0 || (n > 1 && r.b[digits] == '0') {
		return 0, false
	}
	if r.pos < len(r.b) && (r.b[r.pos] == '.' || r.b[r.pos] == 'e' || r.b[r.pos] == 'E') {
		return 0, false
	}
	v, err := strconv.ParseInt(string(r.b[start:r.pos]), 10, bits)
	return v, err == nil
}

// stringMap reads an object of string values (extFields).
func (r *headerReader) stringMap() (map[string]string, bool) {
	if !r.byte('{') {
		return nil, false
	}
	m := map[string]string{}
	if r.byte('}') {
		return m, true
	}
	for {
		kb, ok := r.key()
		if !ok {
			return nil, false
		}
		if _, dup := m[string(kb)]; dup {
			return nil, false
		}
		k := string(kb)
		if m[k], ok = r.str(); !ok {
			return nil, false
		}
		if r.byte(',') {
			continue
		}
		return m, r.byte('}')
	}
}

// skipScalar passes over an unknown field's value: a string, an integer,
// true, false or null. Anything else is left to encoding/json.
func (r *headerReader) skipScalar() bool {
	r.space()
	if r.pos >= len(r.b) {
		return false
	}
	switch r.b[r.pos] {
	case '"':
		_, ok := r.str()
		return ok
	case 't', 'f', 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if rest := r.b[r.pos:]; len(rest) >= len(lit) && string(rest[:len(lit)]) == lit {
				r.pos += len(lit)
				return true
			}
		}
		return false
	}
	_, ok := r.int(64)
	return ok
}
