package simbroker

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// jw writes JSON the way fastjson does on the broker: bean fields in
// alphabetical order (the caller writes them in that order), map keys in
// the map's own order, non-string map keys bare, doubles as Java prints
// them. It never fails; the caller owns the order of keys.
type jw struct {
	b     []byte
	comma []bool // per open object/array: a value was written already
	skip  bool   // a key was just written: its value takes no separator
}

func (w *jw) sep() {
	if w.skip {
		w.skip = false
		return
	}
	if n := len(w.comma); n > 0 {
		if w.comma[n-1] {
			w.b = append(w.b, ',')
		}
		w.comma[n-1] = true
	}
}

func (w *jw) open(c byte) {
	w.sep()
	w.b = append(w.b, c)
	w.comma = append(w.comma, false)
}

func (w *jw) close(c byte) {
	w.b = append(w.b, c)
	w.comma = w.comma[:len(w.comma)-1]
}

func (w *jw) obj()    { w.open('{') }
func (w *jw) endObj() { w.close('}') }
func (w *jw) arr()    { w.open('[') }
func (w *jw) endArr() { w.close(']') }

// key writes a quoted key; the value that follows must not add a comma.
func (w *jw) key(k string) {
	w.sep()
	w.b = appendQuoted(w.b, k)
	w.b = append(w.b, ':')
	w.skip = true
}

// intKey writes a bare numeric key, as fastjson does for Integer and Long
// map keys: {0:"addr"}.
func (w *jw) intKey(k int64) {
	w.sep()
	w.b = strconv.AppendInt(w.b, k, 10)
	w.b = append(w.b, ':')
	w.skip = true
}

// mqKey writes a MessageQueue map key as a raw object, fields in
// alphabetical order: {{"brokerName":"b","queueId":0,"topic":"t"}:…}.
func (w *jw) mqKey(broker string, queue int, topic string) {
	w.sep()
	w.b = append(w.b, `{"brokerName":`...)
	w.b = appendQuoted(w.b, broker)
	w.b = append(w.b, `,"queueId":`...)
	w.b = strconv.AppendInt(w.b, int64(queue), 10)
	w.b = append(w.b, `,"topic":`...)
	w.b = appendQuoted(w.b, topic)
	w.b = append(w.b, "}:"...)
	w.skip = true
}

func (w *jw) value() { w.sep() }

func (w *jw) str(s string) { w.value(); w.b = appendQuoted(w.b, s) }
func (w *jw) int(v int64)  { w.value(); w.b = strconv.AppendInt(w.b, v, 10) }
func (w *jw) bool(v bool)  { w.value(); w.b = strconv.AppendBool(w.b, v) }
func (w *jw) dbl(v float64) {
	w.value()
	w.b = appendJavaDouble(w.b, v)
}

// Helpers for "key": value pairs.
func (w *jw) kstr(k, v string)       { w.key(k); w.str(v) }
func (w *jw) kint(k string, v int64) { w.key(k); w.int(v) }
func (w *jw) kbool(k string, v bool) { w.key(k); w.bool(v) }
func (w *jw) kdbl(k string, v float64) {
	w.key(k)
	w.dbl(v)
}
func (w *jw) kobj(k string) { w.key(k); w.obj() }
func (w *jw) karr(k string) { w.key(k); w.arr() }

// raw appends already-encoded JSON as one value.
func (w *jw) raw(s string) { w.value(); w.b = append(w.b, s...) }

// appendJavaDouble prints v as java.lang.Double.toString does: "0.0",
// "3.0", "12.5", "1.0E-4", "1.2345678E7".
func appendJavaDouble(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "Infinity"...)
	case math.IsInf(v, -1):
		return append(b, "-Infinity"...)
	}
	a := math.Abs(v)
	if a == 0 || (a >= 1e-3 && a < 1e7) {
		s := strconv.FormatFloat(v, 'f', -1, 64)
		b = append(b, s...)
		for i := 0; i < len(s); i++ {
			if s[i] == '.' {
				return b
			}
		}
		return append(b, ".0"...)
	}
	s := strconv.FormatFloat(v, 'E', -1, 64) // 1.2345678E+07
	mant, exp := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == 'E' {
			mant, exp = s[:i], s[i+1:]
			break
		}
	}
	b = append(b, mant...)
	hasDot := false
	for i := 0; i < len(mant); i++ {
		if mant[i] == '.' {
			hasDot = true
		}
	}
	if !hasDot {
		b = append(b, ".0"...)
	}
	b = append(b, 'E')
	if exp != "" && exp[0] == '+' {
		exp = exp[1:]
	}
	neg := exp != "" && exp[0] == '-'
	if neg {
		exp = exp[1:]
	}
	for len(exp) > 1 && exp[0] == '0' {
		exp = exp[1:]
	}
	if neg {
		b = append(b, '-')
	}
	return append(b, exp...)
}

// appendQuoted writes s as a JSON string, escaping what fastjson escapes.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigit[c>>4], hexDigit[c&0xF])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

const hexDigit = "0123456789abcdef"

// timeStr formats a store time as the broker's UtilAll.timeMillisToHumanString2
// does in QUERY_CONSUME_TIME_SPAN: 2026-11-25#17:16:00:197.
func timeStr(ms int64) string {
	return time.UnixMilli(ms).Format("2006-01-02#15:04:05:") + pad3(ms%1000)
}

func pad3(v int64) string {
	if v < 0 {
		v = -v
	}
	s := strconv.FormatInt(v, 10)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}
