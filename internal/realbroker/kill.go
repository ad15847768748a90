package realbroker

import (
	"syscall"
	"time"
)

// KillBroker kills the master with SIGKILL, as a crash would: it gets no
// chance to unregister, so a namesrv may keep listing it until its channel
// closes or its registration expires (about two minutes). StartBroker
// brings it back.
func (c *Cluster) KillBroker() error { return c.killNode("KillBroker", c.brokerProc(false)) }

// KillSlave kills the slave with SIGKILL; StartSlave brings it back.
func (c *Cluster) KillSlave() error { return c.killNode("KillSlave", c.brokerProc(true)) }

// killNode SIGKILLs p's process group and waits (bounded) until it is gone.
func (c *Cluster) killNode(op string, p *process) error {
	if err := c.signalNode(op, p, syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
	return nil
}
