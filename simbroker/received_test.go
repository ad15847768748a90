package simbroker

import (
	"maps"
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// TestReceivedCountsEveryRequest: the cluster counts each request it
// receives by server and request code, across a broker's restart, as
// many as this client sent.
func TestReceivedCountsEveryRequest(t *testing.T) {
	c, a := start(t, Options{Brokers: 2, Slaves: true, Topics: 4, Groups: 2})
	ctx := ctxT(t)
	rpc := a.Remoting()
	send := func(addr string, code, times int) {
		t.Helper()
		for range times {
			if _, err := rpc.Call(ctx, addr, code, nil, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(c.Namesrv.Addr, remoting.GetBrokerClusterInfo, 2)
	send(c.Brokers[0].Master.Addr, remoting.GetBrokerRuntimeInfo, 3)
	send(c.Brokers[0].Slave.Addr, remoting.GetBrokerRuntimeInfo, 1)
	send(c.Brokers[1].Master.Addr, remoting.GetAllTopicConfig, 1)
	before := c.Received()
	if err := c.Restart(0); err != nil {
		t.Fatal(err)
	}
	send(c.Brokers[0].Master.Addr, remoting.GetBrokerRuntimeInfo, 2)
	send(c.Brokers[0].Master.Addr, remoting.GetAllTopicConfig, 1)

	m0, s0, m1 := c.Brokers[0].Name, c.Brokers[0].Name+"-slave", c.Brokers[1].Name
	want := Received{
		"namesrv": {remoting.GetBrokerClusterInfo: 2},
		m0:        {remoting.GetBrokerRuntimeInfo: 5, remoting.GetAllTopicConfig: 1},
		s0:        {remoting.GetBrokerRuntimeInfo: 1},
		m1:        {remoting.GetAllTopicConfig: 1},
	}
	got := c.Received()
	if !equalReceived(got, want) {
		t.Errorf("received %v, sent %v", got, want)
	}
	since := got.Sub(before)
	if !equalReceived(since, Received{m0: {remoting.GetBrokerRuntimeInfo: 2, remoting.GetAllTopicConfig: 1}}) {
		t.Errorf("received since the restart: %v", since)
	}
	if r := got.ByRequest(); r["GET_BROKER_RUNTIME_INFO"] != 6 || r["GET_ALL_TOPIC_CONFIG"] != 2 || r["GET_BROKER_CLUSTER_INFO"] != 2 {
		t.Errorf("by request: %v", r)
	}
	if s := got.ByServer(); s[m0] != 6 || s[s0] != 1 || s[m1] != 1 || s["namesrv"] != 2 {
		t.Errorf("by server: %v", s)
	}
}

func equalReceived(a, b Received) bool {
	return maps.EqualFunc(a, b, func(x, y map[int]int64) bool { return maps.Equal(x, y) })
}
