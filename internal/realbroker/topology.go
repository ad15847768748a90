package realbroker

import (
	"context"
	"encoding/json"
	"fmt"
	"syscall"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// Topologies beyond one namesrv and one master: a slave of the master and
// several namesrvs, each stopped, killed and started again on its own.
// Options.Slave and Options.Namesrvs start them with the cluster.

// StartSlave starts the slave (brokerId 1 of BrokerName, brokerRole=SLAVE,
// its own ports and store) and waits until every running namesrv lists it
// and it answers. It replicates from the master's HA port. A slave stopped
// before comes back with its store; a cluster started without one gets its
// first. It fails if the slave is running.
func (c *Cluster) StartSlave(ctx context.Context) error {
	if err := c.local("StartSlave"); err != nil {
		return err
	}
	if c.slavePort == 0 {
		avoid := append(brokerPorts(c.brokerPort), c.namesrvPorts...)
		_, br, err := pickPortSet(0, 1, avoid...)
		if err != nil {
			return err
		}
		c.slavePort, c.SlaveAddr = br[0], loopback(br[0])
		if err := c.writeBrokerConf(true); err != nil {
			return fmt.Errorf("realbroker: writing the slave's conf: %w", err)
		}
	}
	return c.startBroker(ctx, "StartSlave", true)
}

// StopSlave stops the slave (SIGTERM, SIGKILL after 5 s), which
// unregisters, and waits briefly until the namesrvs have dropped it.
func (c *Cluster) StopSlave() error { return c.stopBroker("StopSlave", true) }

// checkNamesrv validates a namesrv index.
func (c *Cluster) checkNamesrv(op string, i int) error {
	if err := c.local(op); err != nil {
		return err
	}
	if i < 0 || i >= len(c.NamesrvAddrs) {
		return fmt.Errorf("realbroker: %s(%d): the cluster has namesrvs 0..%d", op, i, len(c.NamesrvAddrs)-1)
	}
	return nil
}

func (c *Cluster) namesrvProc(i int) *process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.namesrvs[i]
}

// StopNamesrv stops namesrv i (SIGTERM, SIGKILL after 5 s); its address
// stays in NamesrvAddr. Stopping a stopped namesrv is a no-op.
func (c *Cluster) StopNamesrv(i int) error {
	if err := c.checkNamesrv("StopNamesrv", i); err != nil {
		return err
	}
	if ns := c.namesrvProc(i); ns != nil {
		ns.stop(stopGrace)
	}
	return nil
}

// KillNamesrv kills namesrv i with SIGKILL, as a crash would.
func (c *Cluster) KillNamesrv(i int) error {
	if err := c.checkNamesrv("KillNamesrv", i); err != nil {
		return err
	}
	ns := c.namesrvProc(i)
	if ns == nil || ns.exited() {
		return nil
	}
	return c.killNode("KillNamesrv", ns)
}

// StartNamesrv starts namesrv i again on its port and waits until it lists
// every running broker (they register every 10 s with several namesrvs).
// A restarted namesrv remembers nothing: it knows the brokers from their
// next registration. It fails if namesrv i is running.
func (c *Cluster) StartNamesrv(ctx context.Context, i int) error {
	if err := c.checkNamesrv("StartNamesrv", i); err != nil {
		return err
	}
	if ns := c.namesrvProc(i); ns != nil && !ns.exited() {
		return fmt.Errorf("realbroker: StartNamesrv(%d): it is running (pid %d)", i, ns.cmd.Process.Pid)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}
	name := namesrvName(i)
	if err := c.launchNamesrv(ctx, i); err != nil {
		if ns := c.namesrvProc(i); ns != nil {
			ns.stop(stopGrace)
		}
		return c.startError(name+" (restart)", err)
	}
	if err := c.waitListsBrokers(ctx, c.NamesrvAddrs[i]); err != nil {
		return fmt.Errorf("realbroker: %s restarted but lists no broker: %w", name, err)
	}
	return nil
}

// waitListsBrokers waits until the namesrv at ns lists every running broker.
func (c *Cluster) waitListsBrokers(ctx context.Context, ns string) error {
	for {
		var missing []string
		ci, err := c.clusterInfo(ctx, ns)
		for _, slave := range []bool{false, true} {
			_, addr := c.brokerNode(slave)
			if br := c.brokerProc(slave); br != nil && !br.exited() && (err != nil || !listsAddr(ci, addr)) {
				missing = append(missing, addr)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if serr := sleepCtx(ctx, 500*time.Millisecond); serr != nil {
			return fmt.Errorf("%w (missing %v, last error %v)", serr, missing, err)
		}
	}
}

// RuntimeInfo returns the GET_BROKER_RUNTIME_INFO table of the broker at
// addr (the master's or the slave's), as the harness polls it.
func (c *Cluster) RuntimeInfo(ctx context.Context, addr string) (map[string]string, error) {
	return c.runtimeInfo(ctx, addr, probeTimeout)
}

// WaitSynced waits until the slave's commit log reaches the master's
// (equal commitLogMaxOffset in both runtime infos), bounded by ctx.
func (c *Cluster) WaitSynced(ctx context.Context) error {
	if c.SlaveAddr == "" {
		return fmt.Errorf("realbroker: WaitSynced: no slave")
	}
	var last string
	for {
		m, err1 := c.RuntimeInfo(ctx, c.BrokerAddr)
		s, err2 := c.RuntimeInfo(ctx, c.SlaveAddr)
		if err1 == nil && err2 == nil && m["commitLogMaxOffset"] == s["commitLogMaxOffset"] {
			return nil
		}
		last = fmt.Sprintf("master %q (%v), slave %q (%v)", m["commitLogMaxOffset"], err1, s["commitLogMaxOffset"], err2)
		if err := sleepCtx(ctx, 300*time.Millisecond); err != nil {
			return fmt.Errorf("realbroker: the slave did not catch up: %w; commitLogMaxOffset %s", err, last)
		}
	}
}

// PauseSlave freezes the slave with SIGSTOP until ResumeSlave.
func (c *Cluster) PauseSlave() error {
	return c.signalNode("PauseSlave", c.brokerProc(true), syscall.SIGSTOP)
}

// ResumeSlave continues a paused slave (SIGCONT).
func (c *Cluster) ResumeSlave() error {
	return c.signalNode("ResumeSlave", c.brokerProc(true), syscall.SIGCONT)
}

// getBrokerHAStatus is GET_BROKER_HA_STATUS (RequestCode 907), 5.x only.
const getBrokerHAStatus = 907

// HAStatus is what a broker's HA service reports (HARuntimeInfo): on a
// master, its commit-log offset and one entry per connected slave.
type HAStatus struct {
	Master                   bool           `json:"master"`
	MasterCommitLogMaxOffset int64          `json:"masterCommitLogMaxOffset"`
	InSyncSlaveNums          int            `json:"inSyncSlaveNums"`
	Connections              []HAConnection `json:"haConnectionInfo"`
}

// HAConnection is one slave as its master's HA service sees it; Addr is the
// slave's HA client socket, not its listenPort.
type HAConnection struct {
	Addr           string `json:"addr"`
	SlaveAckOffset int64  `json:"slaveAckOffset"`
	Diff           int64  `json:"diff"` // the master's put offset minus SlaveAckOffset
	InSync         bool   `json:"inSync"`
}

// HAStatus asks the broker at addr for GET_BROKER_HA_STATUS. A 4.x broker
// answers REQUEST_CODE_NOT_SUPPORTED (remoting.IsNotSupported).
func (c *Cluster) HAStatus(ctx context.Context, addr string) (*HAStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	rc := remoting.NewClient(remoting.Options{Credentials: c.Credentials, TLS: c.clientTLS, DialTimeout: probeTimeout})
	defer rc.Close()
	resp, err := rc.Call(ctx, addr, getBrokerHAStatus, nil, nil)
	if err != nil {
		return nil, err
	}
	var st HAStatus
	if err := json.Unmarshal(resp.Body, &st); err != nil {
		return nil, fmt.Errorf("realbroker: HA status of %s: %w", addr, err)
	}
	return &st, nil
}
