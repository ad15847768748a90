package wirecount

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"
)

// Flow is one direction of a TCP connection: client (Src) to server (Dst).
type Flow struct{ Src, Dst netip.AddrPort }

func (f Flow) String() string { return f.Src.String() + "->" + f.Dst.String() }

// segment is what the counter needs of one captured TCP packet.
type segment struct {
	at      time.Time
	flow    Flow
	seq     uint32
	syn     bool
	payload []byte
}

// Link-layer types (tcpdump's DLT_/LINKTYPE_ numbers) that loopback
// captures on Linux produce: lo is Ethernet, "any" is Linux cooked v1 or v2.
const (
	linkEthernet = 1
	linkRaw      = 101
	linkSLL      = 113
	linkSLL2     = 276
)

// pcapReader reads the classic pcap format tcpdump -w writes, in either
// byte order, with microsecond or nanosecond time stamps.
type pcapReader struct {
	r     io.Reader
	order binary.ByteOrder
	nano  bool
	link  uint32
	hdr   [16]byte
	buf   []byte
}

func newPcapReader(r io.Reader) (*pcapReader, error) {
	var g [24]byte
	if _, err := io.ReadFull(r, g[:]); err != nil {
		return nil, fmt.Errorf("pcap header: %w", err)
	}
	p := &pcapReader{r: r}
	switch magic := binary.LittleEndian.Uint32(g[:]); magic {
	case 0xa1b2c3d4, 0xa1b23c4d:
		p.order, p.nano = binary.LittleEndian, magic == 0xa1b23c4d
	case 0xd4c3b2a1, 0x4d3cb2a1:
		p.order, p.nano = binary.BigEndian, magic == 0x4d3cb2a1
	default:
		return nil, fmt.Errorf("not a pcap stream (magic %#x)", magic)
	}
	p.link = p.order.Uint32(g[20:]) & 0x0FFFFFFF // the high bits carry FCS flags
	switch p.link {
	case linkEthernet, linkRaw, linkSLL, linkSLL2:
	default:
		return nil, fmt.Errorf("pcap link type %d not supported", p.link)
	}
	return p, nil
}

// next returns the next packet's time, bytes (valid until the following
// call) and whether it was cut short by the snap length; io.EOF at the end.
func (p *pcapReader) next() (time.Time, []byte, bool, error) {
	if _, err := io.ReadFull(p.r, p.hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("pcap record header: %w", err)
		}
		return time.Time{}, nil, false, err
	}
	sec, frac := int64(p.order.Uint32(p.hdr[0:])), int64(p.order.Uint32(p.hdr[4:]))
	incl, orig := p.order.Uint32(p.hdr[8:]), p.order.Uint32(p.hdr[12:])
	if incl > 1<<20 {
		return time.Time{}, nil, false, fmt.Errorf("pcap record of %d bytes", incl)
	}
	if !p.nano {
		frac *= 1000
	}
	if cap(p.buf) < int(incl) {
		p.buf = make([]byte, incl)
	}
	p.buf = p.buf[:incl]
	if _, err := io.ReadFull(p.r, p.buf); err != nil {
		return time.Time{}, nil, false, fmt.Errorf("pcap record: %w", err)
	}
	return time.Unix(sec, frac), p.buf, incl < orig, nil
}

// ipPacket strips the link-layer header; ok is false for anything but IP.
func (p *pcapReader) ipPacket(b []byte) ([]byte, bool) {
	var proto uint16
	switch p.link {
	case linkRaw:
		return b, len(b) > 0
	case linkEthernet:
		if len(b) < 14 {
			return nil, false
		}
		proto, b = binary.BigEndian.Uint16(b[12:]), b[14:]
	case linkSLL:
		if len(b) < 16 {
			return nil, false
		}
		proto, b = binary.BigEndian.Uint16(b[14:]), b[16:]
	case linkSLL2:
		if len(b) < 20 {
			return nil, false
		}
		proto, b = binary.BigEndian.Uint16(b[0:]), b[20:]
	}
	return b, proto == 0x0800 || proto == 0x86DD
}

// transport decodes an IPv4 or IPv6 header; ok is false for anything
// else (IPv6 extension headers and IP fragments included, which loopback
// TCP and UDP do not produce).
func transport(ip []byte) (proto byte, src, dst netip.Addr, payload []byte, ok bool) {
	switch {
	case len(ip) >= 20 && ip[0]>>4 == 4:
		ihl, total := int(ip[0]&0x0F)*4, int(binary.BigEndian.Uint16(ip[2:]))
		if ihl < 20 || total < ihl || total > len(ip) {
			return 0, src, dst, nil, false
		}
		// total drops any link-layer padding
		return ip[9], netip.AddrFrom4([4]byte(ip[12:16])), netip.AddrFrom4([4]byte(ip[16:20])), ip[ihl:total], true
	case len(ip) >= 40 && ip[0]>>4 == 6:
		plen := int(binary.BigEndian.Uint16(ip[4:]))
		if 40+plen > len(ip) {
			return 0, src, dst, nil, false
		}
		return ip[6], netip.AddrFrom16([16]byte(ip[8:24])), netip.AddrFrom16([16]byte(ip[24:40])), ip[40 : 40+plen], true
	}
	return 0, src, dst, nil, false
}

// tcpSegment decodes an IP packet carrying TCP.
func tcpSegment(at time.Time, ip []byte) (segment, bool) {
	proto, src, dst, tcp, ok := transport(ip)
	if !ok || proto != 6 || len(tcp) < 20 {
		return segment{}, false
	}
	off := int(tcp[12]>>4) * 4
	if off < 20 || off > len(tcp) {
		return segment{}, false
	}
	return segment{
		at:      at,
		flow:    Flow{netip.AddrPortFrom(src, binary.BigEndian.Uint16(tcp[0:])), netip.AddrPortFrom(dst, binary.BigEndian.Uint16(tcp[2:]))},
		seq:     binary.BigEndian.Uint32(tcp[4:]),
		syn:     tcp[13]&0x02 != 0,
		payload: tcp[off:],
	}, true
}

// udpTo tells whether ip is a UDP datagram to port and returns its payload.
func udpTo(ip []byte, port uint16) ([]byte, bool) {
	proto, _, _, udp, ok := transport(ip)
	if !ok || proto != 17 || len(udp) < 8 || binary.BigEndian.Uint16(udp[2:]) != port {
		return nil, false
	}
	return udp[8:], true
}
