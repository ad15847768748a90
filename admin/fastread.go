package admin

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The functions below read a body the way encoding/json would decode its
// normalised form into the answer types, for the shapes brokers write:
// either normalised JSON (fastjson.Normalize's output: one valid value, no
// whitespace) or, with tableReader.raw, the body as fastjson wrote it.
// Whatever they do not recognise (whitespace, escapes, a value of another
// type, a repeated composite field, a name encoding/json would match by
// case folding, anything Normalize would refuse) makes them report false,
// and the caller leaves the whole body to Normalize and encoding/json:
// what fails, fails as it always did.

// fields reads an object whose keys are plain field names, handing each to
// field, which reads its value. Either returning false stops the read.
func (r *tableReader) fields(field func(name []byte) bool) bool {
	if !r.byte('{') {
		return false
	}
	if r.byte('}') {
		return true
	}
	for {
		name, ok := r.plainString()
		if !ok || !r.byte(':') || !field(name) {
			return false
		}
		if r.byte(',') {
			continue
		}
		return r.byte('}')
	}
}

// other skips the value of a field that is none of known, unless
// encoding/json would take it for one of them (it matches names case
// insensitively): then false. plainString already refused non-ASCII
// names, which encoding/json folds by Unicode rules.
func (r *tableReader) other(name []byte, known ...string) bool {
	for _, k := range known {
		if strings.EqualFold(string(name), k) {
			return false
		}
	}
	return r.skip()
}

// null consumes a null literal, if that is what comes next.
func (r *tableReader) null() bool {
	if bytes.HasPrefix(r.b[r.pos:], []byte("null")) {
		r.pos += len("null")
		return true
	}
	return false
}

// skip passes over one value, checking it as fastjson.Normalize would
// (a raw body was not checked before): strings' escapes and control
// characters, numbers, literals, and in a raw body bare and composite
// keys. Deep nesting is refused rather than counted against Normalize's
// limit.
func (r *tableReader) skip() bool { return r.skipValue(0) }

const maxSkipDepth = 64

func (r *tableReader) skipValue(depth int) bool {
	if r.pos >= len(r.b) || depth > maxSkipDepth {
		return false
	}
	switch r.b[r.pos] {
	case '"':
		return r.skipString()
	case '{':
		return r.skipComposite('}', depth, func() bool {
			return r.skipKey(depth) && r.byte(':') && r.skipValue(depth+1)
		})
	case '[':
		return r.skipComposite(']', depth, func() bool { return r.skipValue(depth + 1) })
	}
	switch lit := r.scalar(); string(lit) {
	case "true", "false", "null":
		return true
	default:
		return jsonNumber(lit)
	}
}

// skipComposite passes over an object or array whose members item reads.
func (r *tableReader) skipComposite(end byte, depth int, item func() bool) bool {
	r.pos++
	if r.byte(end) {
		return true
	}
	for {
		if !item() {
			return false
		}
		if r.byte(',') {
			continue
		}
		return r.byte(end)
	}
}

// skipKey passes over an object key: a string, or in a raw body a bare
// integer or a composite value.
func (r *tableReader) skipKey(depth int) bool {
	if r.pos < len(r.b) && r.b[r.pos] == '"' {
		return r.skipString()
	}
	if !r.raw {
		return false
	}
	if _, ok := r.bareKey(); ok {
		return true
	}
	return r.pos < len(r.b) && (r.b[r.pos] == '{' || r.b[r.pos] == '[') && r.skipValue(depth+1)
}

// bareKey reads, in a raw body, a key fastjson wrote unquoted for an
// integer: Normalize quotes it as it is.
func (r *tableReader) bareKey() ([]byte, bool) {
	start := r.pos
	for r.pos < len(r.b) && (r.b[r.pos] == '-' || r.b[r.pos] >= '0' && r.b[r.pos] <= '9') {
		r.pos++
	}
	if r.pos == start {
		return nil, false
	}
	return r.b[start:r.pos], true
}

// skipString passes over a string literal whose escapes and characters
// JSON allows.
func (r *tableReader) skipString() bool {
	for i := r.pos + 1; i < len(r.b); i++ {
		switch c := r.b[i]; {
		case c == '"':
			r.pos = i + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if i+1 >= len(r.b) {
				return false
			}
			i++
			switch r.b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(r.b) || !hex4(r.b[i+1:i+5]) {
					return false
				}
				i += 4
			default:
				return false
			}
		}
	}
	return false
}

func hex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// scalar consumes a number or literal: everything up to the next
// structural character.
func (r *tableReader) scalar() []byte {
	start := r.pos
	for r.pos < len(r.b) {
		switch r.b[r.pos] {
		case ',', '}', ']', ':', '"', '{', '[':
			return r.b[start:r.pos]
		}
		r.pos++
	}
	return r.b[start:r.pos]
}

// str reads a string that decodes to its own bytes (no escapes, no
// control characters, valid UTF-8) as a new string.
func (r *tableReader) str() (string, bool) {
	b, ok := r.strBytes()
	return string(b), ok
}

// strOf is str returning, instead of a copy, the one of known the string
// equals: a value most entries share (a map's own key, a type name) is
// then not allocated once per entry.
func (r *tableReader) strOf(known ...string) (string, bool) {
	b, ok := r.strBytes()
	for _, k := range known {
		if string(b) == k {
			return k, ok
		}
	}
	return string(b), ok
}

// strBytes reads a string that decodes to its own bytes, as str, and
// returns those bytes in place.
func (r *tableReader) strBytes() ([]byte, bool) {
	if !r.byte('"') {
		return nil, false
	}
	ascii := true
	for i := r.pos; i < len(r.b); i++ {
		switch c := r.b[i]; {
		case c == '"':
			s := r.b[r.pos:i]
			if !ascii && !utf8.Valid(s) {
				return nil, false // encoding/json would substitute U+FFFD
			}
			r.pos = i + 1
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// intField reads an integer into an int or int64 field; null leaves it.
func intField[I int | int64](r *tableReader, dst *I) bool {
	if r.null() {
		return true
	}
	v, ok := r.int64()
	*dst = I(v)
	return ok
}

// floatField reads a number into a float64 field; null leaves it.
func floatField(r *tableReader, dst *float64) bool {
	if r.null() {
		return true
	}
	lit := r.scalar()
	if !jsonNumber(lit) {
		return false
	}
	v, err := strconv.ParseFloat(string(lit), 64)
	*dst = v
	return err == nil // out of range: encoding/json fails the body
}

// stringField reads a plain string into a field; null leaves it.
func stringField(r *tableReader, dst *string) bool {
	if r.null() {
		return true
	}
	s, ok := r.str()
	*dst = s
	return ok
}

// internedField is stringField sharing the one of known the value equals
// (strOf).
func internedField(r *tableReader, dst *string, known ...string) bool {
	if r.null() {
		return true
	}
	s, ok := r.strOf(known...)
	*dst = s
	return ok
}

// boolField reads true or false into a field; null leaves it.
func boolField(r *tableReader, dst *bool) bool {
	if r.null() {
		return true
	}
	switch string(r.scalar()) {
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		return false
	}
	return true
}

// jsonNumber reports whether s is a JSON number: strconv.ParseFloat
// alone would also take "Inf", hex and underscores.
func jsonNumber(s []byte) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, n = i+1, n+1
		}
		return n
	}
	start := i
	if n := digits(); n == 0 || (n > 1 && s[start] == '0') {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
