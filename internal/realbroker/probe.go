package realbroker

import (
	"context"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// The harness polls the namesrv and the broker while a cluster starts
// (starting an mqadmin JVM per poll costs 4-6 s) with the project's own
// remoting client and admin decoders.

// probeTimeout bounds one poll.
const probeTimeout = 3 * time.Second

// probe runs f with an admin client of its own, signed with the cluster's
// Credentials, and a context bounded by d. Each probe dials afresh: polls
// are rare, and a fresh socket never carries over a stale connection to a
// broker that was stopped or paused in between.
func (c *Cluster) probe(ctx context.Context, d time.Duration, f func(context.Context, *admin.Client) error) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	rc := remoting.NewClient(remoting.Options{Credentials: c.Credentials, TLS: c.clientTLS, DialTimeout: d})
	defer rc.Close()
	return f(ctx, admin.New(rc))
}

// clusterInfo asks namesrv for GET_BROKER_CLUSTER_INFO.
func (c *Cluster) clusterInfo(ctx context.Context, namesrv string) (ci *admin.ClusterInfo, err error) {
	err = c.probe(ctx, probeTimeout, func(ctx context.Context, a *admin.Client) error {
		ci, err = a.ClusterInfo(ctx, namesrv)
		return err
	})
	return ci, err
}

// brokerAnswers asks the master for GET_BROKER_RUNTIME_INFO and reports
// why it did not answer with a table.
func (c *Cluster) brokerAnswers(ctx context.Context, d time.Duration) error {
	return c.brokerAnswersAt(ctx, c.BrokerAddr, d)
}

// brokerAnswersAt asks the broker at addr for GET_BROKER_RUNTIME_INFO.
func (c *Cluster) brokerAnswersAt(ctx context.Context, addr string, d time.Duration) error {
	_, err := c.runtimeInfo(ctx, addr, d)
	return err
}

// runtimeInfo asks the broker at addr for GET_BROKER_RUNTIME_INFO.
func (c *Cluster) runtimeInfo(ctx context.Context, addr string, d time.Duration) (rt map[string]string, err error) {
	err = c.probe(ctx, d, func(ctx context.Context, a *admin.Client) error {
		ri, err := a.BrokerRuntime(ctx, addr)
		if err == nil {
			rt = ri.Table
		}
		return err
	})
	return rt, err
}

// listsAddr reports whether brokerAddr is among the addresses ci lists.
func listsAddr(ci *admin.ClusterInfo, brokerAddr string) bool {
	for _, b := range ci.Instances() {
		if b.Addr == brokerAddr {
			return true
		}
	}
	return false
}

// masterOf picks a broker group (the named one if given, else the first by
// name) and returns its cluster, name and lowest-id (master) address.
func masterOf(ci *admin.ClusterInfo, brokerName string) (cluster, name, addr string, ok bool) {
	var best *admin.BrokerInstance
	for _, b := range ci.Instances() {
		if brokerName != "" && b.BrokerName != brokerName {
			continue
		}
		if best == nil || b.BrokerName < best.BrokerName || (b.BrokerName == best.BrokerName && b.BrokerID < best.BrokerID) {
			best = &b
		}
	}
	if best == nil {
		return "", "", "", false
	}
	return best.Cluster, best.BrokerName, best.Addr, true
}
