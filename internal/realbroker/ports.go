package realbroker

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// portRange is where ports are drawn from: below the kernel's ephemeral
// range, so that outgoing connections (of this or any other process) never
// grab a port between the probe and the JVM's bind.
func portRange() (lo, hi int) {
	lo, hi = 10240, 32768
	if data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(data)); len(f) == 2 {
			if eph, err := strconv.Atoi(f[0]); err == nil {
				hi = eph
			}
		}
	}
	if hi-lo < 2000 { // unusual ephemeral range: use its upper neighbourhood instead
		lo, hi = 40000, 60000
	}
	return lo, hi
}

// portsFree reports whether every port can be bound (all at once) on the
// wildcard address, which also conflicts with any bind on 127.0.0.1.
func portsFree(ports ...int) bool {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for _, p := range ports {
		if p <= 0 || p > 65535 {
			return false
		}
		l, err := net.Listen("tcp4", net.JoinHostPort("0.0.0.0", strconv.Itoa(p)))
		if err != nil {
			return false
		}
		ls = append(ls, l)
	}
	return true
}

// pickPorts returns a namesrv port and a broker listenPort p such that p-2
// (fast/VIP channel), p and p+1 (HA) and the namesrv port are all free.
func pickPorts() (namesrvPort, brokerPort int, err error) {
	ns, br, err := pickPortSet(1, 1)
	if err != nil {
		return 0, 0, err
	}
	return ns[0], br[0], nil
}

// brokerPorts are the ports a broker with listenPort p binds.
func brokerPorts(p int) []int { return []int{p - 2, p, p + 1} }

// pickPortSet returns namesrvs namesrv ports and brokers broker listenPorts,
// all distinct and free, none of them among avoid (the ports of stopped
// processes that will come back); a broker's p-2 and p+1 count as its ports.
func pickPortSet(namesrvs, brokers int, avoid ...int) (ns, br []int, err error) {
	lo, hi := portRange()
	for range 500 {
		used := map[int]bool{}
		for _, p := range avoid {
			used[p] = true
		}
		ns, br = nil, nil
		ok := true
		var all []int
		for range brokers {
			p := lo + 2 + rand.IntN(hi-lo-4)
			ok = ok && claim(used, brokerPorts(p)...)
			br = append(br, p)
			all = append(all, brokerPorts(p)...)
		}
		for range namesrvs {
			p := lo + rand.IntN(hi-lo)
			ok = ok && claim(used, p)
			ns = append(ns, p)
			all = append(all, p)
		}
		if ok && portsFree(all...) {
			return ns, br, nil
		}
	}
	return nil, nil, fmt.Errorf("realbroker: found no free ports in [%d,%d)", lo, hi)
}

// claim marks ports used and reports whether none was used before.
func claim(used map[int]bool, ports ...int) bool {
	ok := true
	for _, p := range ports {
		ok = ok && !used[p]
		used[p] = true
	}
	return ok
}
