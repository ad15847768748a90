package realbroker

import (
	"syscall"
	"time"
)

// KillBroker kills the broker with SIGKILL, as a crash would: it gets no
// chance to unregister, so the namesrv keeps listing it until its
// registration expires (about two minutes). StartBroker brings it back.
func (c *Cluster) KillBroker() error {
	if err := c.signalBroker("KillBroker", syscall.SIGKILL); err != nil {
		return err
	}
	c.mu.Lock()
	br := c.broker
	c.mu.Unlock()
	select {
	case <-br.done:
	case <-time.After(10 * time.Second):
	}
	return nil
}
