// Package remoting speaks RocketMQ's remoting protocol: length-prefixed
// frames carrying a JSON or ROCKETMQ-binary header and an opaque body,
// multiplexed over one TCP connection per address by request id (opaque).
package remoting

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
)

// MaxFrameLength is the broker's default frame cap (NettyDecoder, 16 MiB).
const MaxFrameLength = 16 << 20

// Serialize types carried in the high byte of the header-length word.
const (
	SerializeJSON     = 0
	SerializeRocketMQ = 1
)

// Flag bits.
const (
	flagResponse = 1 << 0
	flagOneway   = 1 << 1
)

// LanguageGo is what we announce; the broker only logs it.
const LanguageGo = "GO"

// ProtocolVersion is sent in every request header. 401 (V4_9_4) or later
// makes the namesrv answer route requests in standard JSON.
const ProtocolVersion = 401

// Command is one remoting request or response.
type Command struct {
	Code      int               `json:"code"`
	Language  string            `json:"language,omitempty"`
	Version   int               `json:"version"`
	Opaque    int32             `json:"opaque"`
	Flag      int32             `json:"flag"`
	Remark    string            `json:"remark,omitempty"`
	ExtFields map[string]string `json:"extFields,omitempty"`
	Body      []byte            `json:"-"`

	release func() // gives a large answer's room back to the client's budget
}

// Release tells the client that read this answer that its body has been
// decoded: under an answer budget (Options.AnswerBudget) the room it held
// goes to the next large answer. The body stays readable. Releasing twice,
// or an answer that held no room, does nothing.
func (c *Command) Release() {
	if c != nil && c.release != nil {
		f := c.release
		c.release = nil
		f()
	}
}

// IsResponse reports whether the response bit is set.
func (c *Command) IsResponse() bool { return c.Flag&flagResponse != 0 }

// FrameError is a malformed frame. The connection it came from cannot be
// trusted to be aligned on a frame boundary any more.
type FrameError struct {
	Reason string
	// TLSRecord: the bytes read as a length are a TLS record header (a
	// server that speaks only TLS answered a plain request).
	TLSRecord bool
}

func (e *FrameError) Error() string { return "remoting: bad frame: " + e.Reason }

func frameErrorf(format string, args ...any) error {
	return &FrameError{Reason: fmt.Sprintf(format, args...)}
}

// AppendFrame appends the wire form of cmd (JSON header) to dst. The header
// is json.Marshal's encoding of cmd, written straight into dst.
func AppendFrame(dst []byte, cmd *Command) ([]byte, error) {
	start := len(dst)
	dst = append(dst, make([]byte, 8)...) // the two length words, filled below
	dst = appendJSONHeader(dst, cmd)
	hlen := len(dst) - start - 8
	total := 4 + hlen + len(cmd.Body)
	if total > MaxFrameLength {
		return dst[:start], frameErrorf("frame of %d bytes exceeds the %d-byte cap", total, MaxFrameLength)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(total))
	binary.BigEndian.PutUint32(dst[start+4:], uint32(SerializeJSON)<<24|uint32(hlen))
	return append(dst, cmd.Body...), nil
}

// ReadFrame reads one frame from r into a buffer of its own, which the
// returned Command's Body aliases: one allocation per frame rather than a
// reused buffer plus a copy of the body (the listings of a large broker
// are tens of MiB each, and two copies of them set the exporter's peak).
func ReadFrame(r io.Reader) (*Command, error) {
	return readFrame(r, nil)
}

// readFrame is ReadFrame under a budget: it takes room for the frame
// before reading its body; the Command's Release gives it back (an error
// gives it back at once).
func readFrame(r io.Reader, budget *answerBudget) (*Command, error) {
	var lenBuf [4]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(lenBuf[:])
	if n > MaxFrameLength {
		err := &FrameError{Reason: fmt.Sprintf("length %d exceeds the %d-byte cap", n, MaxFrameLength)}
		// A TLS record starts with its content type (20-23) and major
		// version 3: read as a length, that is always over the cap.
		if lenBuf[0] >= 20 && lenBuf[0] <= 23 && lenBuf[1] == 3 {
			err.Reason, err.TLSRecord = fmt.Sprintf("the answer starts with a TLS record header (% x), not a frame length", lenBuf[:3]), true
		}
		return nil, err
	}
	held := budget.take(int(n))
	frame := make([]byte, n)
	if _, err := io.ReadFull(r, frame); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		budget.give(held)
		return nil, err
	}
	cmd, err := decodeFrame(frame, false)
	if err != nil {
		budget.give(held)
		return nil, err
	}
	if held > 0 {
		cmd.release = func() { budget.give(held) }
	}
	return cmd, nil
}

// DecodeFrame decodes a frame without its 4-byte length prefix. The
// Command's Body is a copy: frame may be reused.
func DecodeFrame(frame []byte) (*Command, error) { return decodeFrame(frame, true) }

// decodeFrame decodes a frame; the body aliases frame unless copyBody.
func decodeFrame(frame []byte, copyBody bool) (*Command, error) {
	if len(frame) < 4 {
		return nil, frameErrorf("%d bytes is shorter than the header-length word", len(frame))
	}
	word := binary.BigEndian.Uint32(frame)
	kind := byte(word >> 24)
	hlen := int(word & 0x00FFFFFF)
	if hlen > len(frame)-4 {
		return nil, frameErrorf("header length %d exceeds the %d bytes left", hlen, len(frame)-4)
	}
	header := frame[4 : 4+hlen]
	var cmd *Command
	var err error
	switch kind {
	case SerializeJSON:
		cmd, err = decodeJSONHeader(header)
	case SerializeRocketMQ:
		cmd, err = decodeBinaryHeader(header)
	default:
		return nil, frameErrorf("unknown serialize type %d", kind)
	}
	if err != nil {
		return nil, err
	}
	switch body := frame[4+hlen:]; {
	case len(body) == 0:
	case copyBody:
		cmd.Body = append([]byte(nil), body...)
	default:
		cmd.Body = body[:len(body):len(body)]
	}
	return cmd, nil
}

// jsonHeader tolerates language as a name; extra fields are ignored.
type jsonHeader struct {
	Code      *int              `json:"code"`
	Language  string            `json:"language"`
	Version   int               `json:"version"`
	Opaque    int32             `json:"opaque"`
	Flag      int32             `json:"flag"`
	Remark    string            `json:"remark"`
	ExtFields map[string]string `json:"extFields"`
}

func decodeJSONHeader(b []byte) (*Command, error) {
	if cmd, ok := decodeJSONHeaderFast(b); ok {
		return cmd, nil
	}
	return decodeJSONHeaderReflect(b)
}

// decodeJSONHeaderReflect is encoding/json's reading of a header, the
// judge of every header the fast path does not read.
func decodeJSONHeaderReflect(b []byte) (*Command, error) {
	var h jsonHeader
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, frameErrorf("JSON header: %v", err)
	}
	if h.Code == nil {
		return nil, frameErrorf("JSON header has no code")
	}
	return &Command{Code: *h.Code, Language: h.Language, Version: h.Version, Opaque: h.Opaque,
		Flag: h.Flag, Remark: h.Remark, ExtFields: h.ExtFields}, nil
}

// binaryReader walks a ROCKETMQ-serialised header, remembering the first
// error so the decoder reads straight through.
type binaryReader struct {
	b   []byte
	err error
}

func (r *binaryReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = frameErrorf("binary header: need %d bytes, %d left", n, len(r.b))
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *binaryReader) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *binaryReader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (r *binaryReader) str(n uint32) string {
	if n > math.MaxInt32 {
		r.err = frameErrorf("binary header: string length %d", n)
		return ""
	}
	return string(r.take(int(n)))
}

var languageNames = []string{"JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER",
	"HTTP", "GO", "PHP", "OMS", "RUST", "NODE_JS"}

func decodeBinaryHeader(b []byte) (*Command, error) {
	r := &binaryReader{b: b}
	cmd := &Command{}
	cmd.Code = int(int16(r.u16()))
	if lang := r.take(1); lang != nil {
		if int(lang[0]) < len(languageNames) {
			cmd.Language = languageNames[lang[0]]
		} else {
			cmd.Language = strconv.Itoa(int(lang[0]))
		}
	}
	cmd.Version = int(int16(r.u16()))
	cmd.Opaque = int32(r.u32())
	cmd.Flag = int32(r.u32())
	cmd.Remark = r.str(r.u32())
	extLen := r.u32()
	if r.err == nil && extLen > 0 {
		ext := &binaryReader{b: r.take(int(extLen))}
		if r.err != nil {
			return nil, r.err
		}
		cmd.ExtFields = map[string]string{}
		for len(ext.b) > 0 && ext.err == nil {
			k := ext.str(uint32(ext.u16()))
			v := ext.str(ext.u32())
			if ext.err == nil {
				cmd.ExtFields[k] = v
			}
		}
		r.err = ext.err
	}
	if r.err != nil {
		return nil, r.err
	}
	return cmd, nil
}

// AppendBinaryFrame encodes cmd with the ROCKETMQ header. The client always
// sends JSON; this exists for the simulated broker and for tests, which must
// be able to answer the way a broker configured for ROCKETMQ does.
func AppendBinaryFrame(dst []byte, cmd *Command) []byte {
	var h []byte
	h = binary.BigEndian.AppendUint16(h, uint16(int16(cmd.Code)))
	lang := byte(0)
	for i, n := range languageNames {
		if n == cmd.Language {
			lang = byte(i)
		}
	}
	h = append(h, lang)
	h = binary.BigEndian.AppendUint16(h, uint16(int16(cmd.Version)))
	h = binary.BigEndian.AppendUint32(h, uint32(cmd.Opaque))
	h = binary.BigEndian.AppendUint32(h, uint32(cmd.Flag))
	h = binary.BigEndian.AppendUint32(h, uint32(len(cmd.Remark)))
	h = append(h, cmd.Remark...)
	var ext []byte
	keys := make([]string, 0, len(cmd.ExtFields))
	for k := range cmd.ExtFields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ext = binary.BigEndian.AppendUint16(ext, uint16(len(k)))
		ext = append(ext, k...)
		ext = binary.BigEndian.AppendUint32(ext, uint32(len(cmd.ExtFields[k])))
		ext = append(ext, cmd.ExtFields[k]...)
	}
	h = binary.BigEndian.AppendUint32(h, uint32(len(ext)))
	h = append(h, ext...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(4+len(h)+len(cmd.Body)))
	dst = binary.BigEndian.AppendUint32(dst, uint32(SerializeRocketMQ)<<24|uint32(len(h)))
	dst = append(dst, h...)
	return append(dst, cmd.Body...)
}
