package poller_test

import (
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/poller"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

func groupOf(b *snapshot.Broker, name string) *snapshot.Group {
	for i := range b.Groups {
		if b.Groups[i].Name == name {
			return &b.Groups[i]
		}
	}
	return nil
}

// TestGroupsTheBrokerDoesNotSeeAreAskedAtTheProxies: a second simulated
// broker plays the proxy, which answers GET_CONSUMER_CONNECTION_LIST for
// the clients connected to it. A group the broker lists no consumer of
// takes the proxy's clients; a group online at the broker never costs a
// call to the proxy; a proxy that does not answer leaves the group as the
// last cycle knew it.
func TestGroupsTheBrokerDoesNotSeeAreAskedAtTheProxies(t *testing.T) {
	c := startSim(t, simbroker.Options{Topics: 2, Groups: 2, OnlineEvery: -1})
	px := startSim(t, simbroker.Options{Cluster: "ProxySide", Topics: 1, Groups: 1, OnlineEvery: -1})
	const grpc, remoting = "GID_grpc", "GID_remoting"
	for _, g := range []string{grpc, remoting} {
		if _, err := c.CreateGroup(0, g); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := px.CreateGroup(0, grpc); err != nil {
		t.Fatal(err)
	}
	if _, err := px.SetClients(0, grpc, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetClients(0, remoting, 1); err != nil {
		t.Fatal(err)
	}
	proxy := px.Brokers[0].Addr()

	_, b := master(t, newPoller(t, [][]string{{c.Namesrv.Addr}}, nil, nil))
	if g := groupOf(b, grpc); g == nil || g.Online || len(b.Proxies) != 0 {
		t.Fatalf("without proxies: %+v, proxies %v; want the group offline, as the broker says", g, b.Proxies)
	}

	p := newPoller(t, [][]string{{c.Namesrv.Addr}}, nil, func(cfg *poller.Config) { cfg.Proxies = [][]string{{proxy}} })
	before := px.Received()
	_, b = master(t, p)
	g := groupOf(b, grpc)
	if g == nil || !g.Online || len(g.Clients) != 2 || g.ConsumeType == "" {
		t.Fatalf("with the proxy: %+v; want its 2 clients", g)
	}
	for _, cl := range g.Clients {
		if cl.Proxy != proxy {
			t.Errorf("client %s listed by %q, want the proxy %s", cl.ID, cl.Proxy, proxy)
		}
	}
	if got := px.Received().Sub(before).ByRequest()["GET_CONSUMER_CONNECTION_LIST"]; got != len(b.Groups)-1 {
		t.Errorf("the proxy was asked %d times, want once per group but %s, which the broker sees online", got, remoting)
	}
	if r := groupOf(b, remoting); r == nil || len(r.Clients) != 1 || r.Clients[0].Proxy != "" {
		t.Errorf("the broker's own client: %+v", r)
	}

	px.Close()
	s, b := master(t, p)
	if g := groupOf(b, grpc); g == nil || !g.Online || len(g.Clients) != 2 || b.Carried[snapshot.CarriedGroupOnline] == 0 {
		t.Errorf("proxy gone: %+v, carried %v; want the last cycle's clients, counted as carried", g, b.Carried)
	}
	if st, ok := stageOf(b, "connections"); !ok || st.Failed == 0 {
		t.Errorf("cycle %d: connections stage %+v, want the proxy's failures counted", s.Seq, st)
	}
}
