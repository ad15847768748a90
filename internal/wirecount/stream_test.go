package wirecount

import (
	"slices"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// wireOf is what our client writes for these commands, JSON headers and
// binary ones mixed, as one byte stream.
func wireOf(t *testing.T, cmds []*remoting.Command, binary []bool) []byte {
	t.Helper()
	var b []byte
	for i, c := range cmds {
		if binary[i] {
			b = remoting.AppendBinaryFrame(b, c)
			continue
		}
		var err error
		if b, err = remoting.AppendFrame(b, c); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

var sample = []*remoting.Command{
	{Code: remoting.GetBrokerClusterInfo, Language: "GO", Version: 401, Opaque: 1},
	{Code: remoting.GetBrokerRuntimeInfo, Language: "GO", Opaque: 2, ExtFields: map[string]string{"k": "v"}},
	{Code: 0, Flag: 1, Opaque: 7, Remark: "a response the client sends (running info): not a request", Body: []byte("{}")},
	{Code: remoting.ViewBrokerStatsData, Flag: 2, Opaque: 3, Body: make([]byte, 3000)}, // oneway: still a request
	{Code: remoting.GetAllSubscriptionGroupConfig, Opaque: 4, Body: []byte("body")},
}

var sampleCodes = []int{remoting.GetBrokerClusterInfo, remoting.GetBrokerRuntimeInfo, remoting.ViewBrokerStatsData, remoting.GetAllSubscriptionGroupConfig}

func codes(s *stream) []int {
	var out []int
	for _, f := range s.frames {
		out = append(out, f.Code)
	}
	return out
}

// Every request frame our remoting package writes is found, whichever
// header encoding and wherever TCP cuts the stream into segments.
func TestStreamFindsEveryRequestWhereverTheStreamIsCut(t *testing.T) {
	for _, enc := range [][]bool{{false, false, false, false, false}, {true, false, true, true, false}} {
		wire := wireOf(t, sample, enc)
		for cut := 0; cut <= len(wire); cut++ {
			s := &stream{}
			s.syn(1000)
			s.data(time.Unix(1, 0), 1001, wire[:cut])
			s.data(time.Unix(2, 0), 1001+uint32(cut), wire[cut:])
			if s.broken != "" || !slices.Equal(codes(s), sampleCodes) {
				t.Fatalf("binary %v, cut at %d: codes %v (want %v), broken %q", enc, cut, codes(s), sampleCodes, s.broken)
			}
		}
	}
}

// Byte by byte, with every byte sent twice (a retransmission), across a
// sequence-number wrap: each request once.
func TestStreamRetransmissionsAndWrap(t *testing.T) {
	wire := wireOf(t, sample, []bool{false, true, false, false, true})
	s := &stream{}
	seq := uint32(1<<32 - 100)
	s.syn(seq - 1)
	for i := range wire {
		s.data(time.Unix(int64(i), 0), seq+uint32(i), wire[i:i+1])
		s.data(time.Unix(int64(i), 0), seq+uint32(i), wire[i:i+1])
		if i > 0 { // and a segment overlapping old and new bytes
			s.data(time.Unix(int64(i), 0), seq+uint32(i-1), wire[i-1:i+1])
		}
	}
	if s.broken != "" || !slices.Equal(codes(s), sampleCodes) {
		t.Fatalf("codes %v (want %v), broken %q", codes(s), sampleCodes, s.broken)
	}
	// Frames carry the time of the packet that completed them.
	if got := s.frames[0].At; got != time.Unix(int64(len(wireOf(t, sample[:1], []bool{false}))-1), 0) {
		t.Errorf("first frame at %v", got)
	}
}

// What cannot be followed says so and counts nothing more; nothing panics.
func TestStreamRefusesWhatItCannotFollow(t *testing.T) {
	wire := wireOf(t, sample, make([]bool, len(sample)))
	cases := map[string]func(s *stream){
		"gap": func(s *stream) {
			s.syn(0)
			s.data(time.Time{}, 1, wire[:10])
			s.data(time.Time{}, 20, wire[19:])
		},
		"no SYN": func(s *stream) { s.data(time.Time{}, 1, wire) },
		"TLS": func(s *stream) {
			s.syn(0)
			s.data(time.Time{}, 1, []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc})
		},
		"header longer than the frame": func(s *stream) {
			s.syn(0)
			s.data(time.Time{}, 1, []byte{0, 0, 0, 6, 0, 0, 0, 9, '{', '}'})
		},
		"JSON without a code": func(s *stream) {
			s.syn(0)
			s.data(time.Time{}, 1, []byte{0, 0, 0, 6, 0, 0, 0, 2, '{', '}'})
		},
		"short binary header": func(s *stream) {
			s.syn(0)
			s.data(time.Time{}, 1, []byte{0, 0, 0, 7, 1, 0, 0, 3, 0, 28, 9})
		},
		"unknown serialize type": func(s *stream) {
			s.syn(0)
			s.data(time.Time{}, 1, []byte{0, 0, 0, 4, 7, 0, 0, 0})
		},
	}
	for name, feed := range cases {
		s := &stream{}
		feed(s)
		if s.broken == "" {
			t.Errorf("%s: not reported", name)
		}
		n := len(s.frames)
		s.data(time.Time{}, s.next, wire)
		if len(s.frames) != n {
			t.Errorf("%s: counted on after the stream broke", name)
		}
	}
}

func TestProcAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"0000000000000000FFFF00000100007F:0016": "127.0.0.1:22",
		"00000000000000000000000001000000:01BB": "[::1]:443",
	} {
		got, err := procAddr(in)
		if err != nil || got.String() != want {
			t.Errorf("procAddr(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0100007F", "01007F:1F90", "zz00007F:1F90", "0100007F:1FFFF"} {
		if _, err := procAddr(bad); err == nil {
			t.Errorf("procAddr(%q) accepted", bad)
		}
	}
}
