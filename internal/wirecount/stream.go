// Package wirecount counts RocketMQ remoting requests as they cross the
// wire, for benchmarks whose figures must not come from the exporter's own
// counter: tcpdump captures the client-to-server half of every loopback
// connection to the namesrv and broker ports, each TCP stream is put back
// together and cut into remoting frames, and every request frame is
// recorded with its code and capture time. Which connections belong to the
// process being measured is read from /proc (Owner), because other clients
// on the same ports (rocketmq-client-go consumers) announce the same
// language.
package wirecount

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// maxFrame is the broker's frame cap (NettyDecoder's 16 MiB): a longer
// length word means the stream is not remoting (or not aligned).
const maxFrame = 16 << 20

// Frame is one request seen on a connection.
type Frame struct {
	At   time.Time // capture time of the packet that completed the frame
	Code int
}

// stream rebuilds one direction of a TCP connection and cuts it into
// remoting frames. It trusts nothing: a gap in sequence numbers (the
// capture dropped a packet), data before the SYN was seen, or bytes that do
// not parse as a frame stop it and say why in broken.
type stream struct {
	synced bool
	next   uint32 // sequence number of the next byte expected
	buf    []byte
	frames []Frame
	broken string
}

// syn starts (or restarts, on a reused port pair) the stream at seq.
func (s *stream) syn(seq uint32) {
	s.synced, s.next, s.buf, s.broken = true, seq+1, s.buf[:0], ""
}

// data feeds a segment's payload that starts at sequence number seq.
func (s *stream) data(at time.Time, seq uint32, payload []byte) {
	if s.broken != "" || len(payload) == 0 {
		return
	}
	if !s.synced {
		s.broken = "data before the connection's SYN (opened before the capture started)"
		return
	}
	// Signed distance: sequence numbers wrap.
	d := int32(seq - s.next)
	if d > 0 {
		s.broken = fmt.Sprintf("%d bytes missing from the capture", d)
		return
	}
	if -int64(d) >= int64(len(payload)) {
		return // a retransmission of bytes already read
	}
	payload = payload[-d:]
	s.buf = append(s.buf, payload...)
	s.next += uint32(len(payload))
	s.cut(at)
}

// cut records every complete frame in buf and keeps the rest.
func (s *stream) cut(at time.Time) {
	rest := s.buf
	for len(rest) >= 4 {
		n := binary.BigEndian.Uint32(rest)
		if n < 4 || n > maxFrame {
			s.broken = fmt.Sprintf("frame length %d is not a remoting frame's", n)
			return
		}
		if uint32(len(rest)-4) < n {
			break
		}
		code, request, err := header(rest[4 : 4+n])
		if err != nil {
			s.broken = err.Error()
			return
		}
		if request {
			s.frames = append(s.frames, Frame{At: at, Code: code})
		}
		rest = rest[4+n:]
	}
	s.buf = append(s.buf[:0], rest...)
}

// header reads a frame's code and whether it is a request (response bit
// clear) from either header encoding.
func header(frame []byte) (code int, request bool, err error) {
	word := binary.BigEndian.Uint32(frame)
	kind, hlen := word>>24, int(word&0xFFFFFF)
	if hlen > len(frame)-4 {
		return 0, false, fmt.Errorf("header length %d exceeds the %d-byte frame", hlen, len(frame)-4)
	}
	h := frame[4 : 4+hlen]
	switch kind {
	case 0: // JSON
		var j struct {
			Code *int  `json:"code"`
			Flag int32 `json:"flag"`
		}
		if err := json.Unmarshal(h, &j); err != nil || j.Code == nil {
			return 0, false, fmt.Errorf("JSON header without a code: %.60q", h)
		}
		return *j.Code, j.Flag&1 == 0, nil
	case 1: // ROCKETMQ: code int16, language byte, version int16, opaque int32, flag int32
		if len(h) < 13 {
			return 0, false, fmt.Errorf("binary header of %d bytes", len(h))
		}
		flag := binary.BigEndian.Uint32(h[9:13])
		return int(int16(binary.BigEndian.Uint16(h))), flag&1 == 0, nil
	}
	return 0, false, fmt.Errorf("unknown serialize type %d", kind)
}
