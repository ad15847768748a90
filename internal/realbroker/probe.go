package realbroker

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"regexp"
	"sort"
	"strconv"
	"sync/atomic"
	"time"
)

// A minimal RocketMQ remoting client, enough to poll the namesrv while a
// cluster starts (starting an mqadmin JVM per poll costs 4-6 s).

const (
	codeGetBrokerClusterInfo = 106
	codeGetBrokerRuntimeInfo = 28
)

var probeOpaque atomic.Int32

// rpc sends one request with an empty body and returns the response code,
// remark and body.
func rpc(ctx context.Context, addr string, code int, timeout time.Duration) (respCode int, remark string, body []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, "", nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	opaque := probeOpaque.Add(1)
	header, _ := json.Marshal(map[string]any{
		"code":                    code,
		"language":                "JAVA",
		"version":                 0,
		"opaque":                  opaque,
		"flag":                    0,
		"serializeTypeCurrentRPC": "JSON",
	})
	frame := make([]byte, 8+len(header))
	binary.BigEndian.PutUint32(frame[0:], uint32(4+len(header)))
	binary.BigEndian.PutUint32(frame[4:], uint32(len(header))) // serialize type 0 (JSON) in the top byte
	copy(frame[8:], header)
	if _, err := conn.Write(frame); err != nil {
		return 0, "", nil, err
	}

	var lenBuf [4]byte
	if _, err := io.ReadFull(conn, lenBuf[:]); err != nil {
		return 0, "", nil, err
	}
	total := binary.BigEndian.Uint32(lenBuf[:])
	if total < 4 || total > 64<<20 {
		return 0, "", nil, fmt.Errorf("bad frame length %d", total)
	}
	resp := make([]byte, total)
	if _, err := io.ReadFull(conn, resp); err != nil {
		return 0, "", nil, err
	}
	hl := binary.BigEndian.Uint32(resp[:4])
	serType, hlen := byte(hl>>24), int(hl&0xFFFFFF)
	if 4+hlen > len(resp) {
		return 0, "", nil, fmt.Errorf("bad header length %d", hlen)
	}
	h, body := resp[4:4+hlen], resp[4+hlen:]
	switch serType {
	case 0:
		var jh struct {
			Code   int    `json:"code"`
			Remark string `json:"remark"`
		}
		if err := json.Unmarshal(h, &jh); err != nil {
			return 0, "", nil, fmt.Errorf("response header: %w", err)
		}
		return jh.Code, jh.Remark, body, nil
	case 1:
		if len(h) < 2 {
			return 0, "", nil, fmt.Errorf("short binary header")
		}
		return int(binary.BigEndian.Uint16(h[:2])), "", body, nil
	default:
		return 0, "", nil, fmt.Errorf("unknown serialize type %d", serType)
	}
}

// fastjson writes integer map keys unquoted ({0:"127.0.0.1:10911"}).
var bareIntKeyRE = regexp.MustCompile(`([{,])(-?[0-9]+):`)

type clusterInfo struct {
	BrokerAddrTable map[string]struct {
		Cluster     string            `json:"cluster"`
		BrokerName  string            `json:"brokerName"`
		BrokerAddrs map[string]string `json:"brokerAddrs"`
	} `json:"brokerAddrTable"`
}

// getClusterInfo asks a namesrv for GET_BROKER_CLUSTER_INFO.
func getClusterInfo(ctx context.Context, namesrv string) (*clusterInfo, error) {
	code, remark, body, err := rpc(ctx, namesrv, codeGetBrokerClusterInfo, 3*time.Second)
	if err != nil {
		return nil, err
	}
	if code != 0 {
		return nil, fmt.Errorf("GET_BROKER_CLUSTER_INFO: code %d %s", code, remark)
	}
	var ci clusterInfo
	if err := jsonUnmarshalFastjson(body, &ci); err != nil {
		return nil, fmt.Errorf("GET_BROKER_CLUSTER_INFO body: %w", err)
	}
	return &ci, nil
}

// jsonUnmarshalFastjson decodes fastjson output whose integer map keys are
// unquoted. (The rewrite could also touch string contents of the form
// `,12:`; cluster info has none.)
func jsonUnmarshalFastjson(body []byte, v any) error {
	return json.Unmarshal(bareIntKeyRE.ReplaceAll(body, []byte(`$1"$2":`)), v)
}

// registered reports whether brokerAddr is among the addresses the namesrv knows.
func (ci *clusterInfo) registered(brokerAddr string) bool {
	for _, bd := range ci.BrokerAddrTable {
		for _, a := range bd.BrokerAddrs {
			if a == brokerAddr {
				return true
			}
		}
	}
	return false
}

// master picks a broker (the named one if given, else the first by name) and
// returns its cluster, name and lowest-id (master) address.
func (ci *clusterInfo) master(brokerName string) (cluster, name, addr string, ok bool) {
	names := make([]string, 0, len(ci.BrokerAddrTable))
	for n := range ci.BrokerAddrTable {
		names = append(names, n)
	}
	sort.Strings(names)
	if brokerName != "" {
		names = []string{brokerName}
	}
	for _, n := range names {
		bd, found := ci.BrokerAddrTable[n]
		if !found || len(bd.BrokerAddrs) == 0 {
			continue
		}
		best := -1
		for id, a := range bd.BrokerAddrs {
			i, err := strconv.Atoi(id)
			if err != nil || a == "" {
				continue
			}
			if best < 0 || i < best {
				best, addr = i, a
			}
		}
		if best >= 0 {
			return bd.Cluster, n, addr, true
		}
	}
	return "", "", "", false
}
