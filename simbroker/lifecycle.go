package simbroker

import (
	"fmt"
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// namesrvName keeps the first namesrv's historical name.
func namesrvName(i int) string {
	if i == 0 {
		return "namesrv"
	}
	return fmt.Sprintf("namesrv-%d", i)
}

// newServer starts a server of this cluster on addr; a restarted process
// asks for its old address and takes a new one only if that is taken.
func (c *Cluster) newServer(name, addr string, handle func(*remoting.Command) *remoting.Command) (*Server, error) {
	s, err := newServer(name, addr, handle, c.opts.BinaryHeaders, c.opts.Latency, c.p.code, &c.recv)
	if err != nil && addr != anyPort {
		s, err = newServer(name, anyPort, handle, c.opts.BinaryHeaders, c.opts.Latency, c.p.code, &c.recv)
	}
	return s, err
}

// NamesrvAddrs lists the namesrvs' addresses, as a client is configured
// with them (join with ";").
func (c *Cluster) NamesrvAddrs() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, len(c.Namesrvs))
	for i, s := range c.Namesrvs {
		out[i] = s.Addr
	}
	return out
}

func (c *Cluster) namesrvList() string { // callers hold c.mu
	addrs := make([]string, len(c.Namesrvs))
	for i, s := range c.Namesrvs {
		addrs[i] = s.Addr
	}
	return strings.Join(addrs, ";")
}

func (c *Cluster) brokerAt(i int) (*Broker, error) {
	if i < 0 || i >= len(c.Brokers) {
		return nil, fmt.Errorf("simbroker: no broker %d (have %d)", i, len(c.Brokers))
	}
	return c.Brokers[i], nil
}

// Kill stops broker i as kill -9 does: its master (and slave) stop
// listening and drop their connections, and the namesrvs forget it at once
// (its registration goes with its connection), routes included. What it
// stored (topics, groups, offsets) survives for Restart; its stat items
// do not.
func (c *Cluster) Kill(i int) error {
	b, err := c.brokerAt(i)
	if err != nil {
		return err
	}
	c.mu.Lock()
	b.st.down = true
	b.st.routeOnly = map[string]int{}
	servers := []*Server{b.Master, b.Slave}
	c.mu.Unlock()
	for _, s := range servers {
		if s != nil {
			s.close() // outside the lock: answers in flight may need it
		}
	}
	return nil
}

// Restart starts broker i again (killing it first if it runs): listening
// on its old addresses where it can, registered with the namesrvs, with a
// new boot time and every stat item gone, which is the only thing that
// frees what a broker leaks. Faults set on the old servers are gone too.
func (c *Cluster) Restart(i int) error {
	b, err := c.brokerAt(i)
	if err != nil {
		return err
	}
	if err := c.Kill(i); err != nil {
		return err
	}
	c.mu.RLock()
	maddr, slave := b.Master.Addr, b.Slave
	c.mu.RUnlock()
	m, err := c.newServer(b.Name, maddr, c.brokerHandler(i, false))
	if err != nil {
		return err
	}
	var s *Server
	if slave != nil {
		if s, err = c.newServer(b.Name+"-slave", slave.Addr, c.brokerHandler(i, true)); err != nil {
			m.close()
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b.Master, b.Slave = m, s
	b.st.reboot(max(c.nowMs(), b.st.boot+1))
	return nil
}

// Up reports whether broker i is running and registered.
func (c *Cluster) Up(i int) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return i >= 0 && i < len(c.bs) && !c.bs[i].down
}

// KillNamesrv stops namesrv i; the others keep answering.
func (c *Cluster) KillNamesrv(i int) error {
	c.mu.RLock()
	if i < 0 || i >= len(c.Namesrvs) {
		c.mu.RUnlock()
		return fmt.Errorf("simbroker: no namesrv %d (have %d)", i, len(c.Namesrvs))
	}
	s := c.Namesrvs[i]
	c.mu.RUnlock()
	s.close()
	return nil
}

// RestartNamesrv starts namesrv i again on its old address where it can.
// The brokers register with it at once, so it answers as before.
func (c *Cluster) RestartNamesrv(i int) error {
	if err := c.KillNamesrv(i); err != nil {
		return err
	}
	c.mu.RLock()
	addr := c.Namesrvs[i].Addr
	c.mu.RUnlock()
	s, err := c.newServer(namesrvName(i), addr, c.handleNamesrv)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Namesrvs[i] = s
	if i == 0 {
		c.Namesrv = s
	}
	return nil
}

// reboot is a restart's effect on what the broker holds: stat items and
// broker-wide counters start from nothing; topics, groups, offsets and
// connected clients (they reconnect) stay.
func (st *brokerState) reboot(at int64) {
	st.down = false
	st.boot = at
	st.stats = map[string]*statEntry{}
	st.put, st.get = statItem{created: at}, statItem{created: at}
	for _, t := range st.topics {
		t.put, t.size = nil, nil
		for _, s := range t.subs {
			s.get, s.size = nil, nil
		}
	}
	for _, t := range st.lmqs {
		for _, s := range t.subs {
			s.get, s.size = nil, nil
		}
	}
	st.topicVersion++
	st.versionAt = at
}
