package poller

import (
	"context"
	"sort"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// A rocketmq-proxy in cluster mode keeps its gRPC clients to itself: it
// pops, acks and sends on the brokers in its own name and never
// heartbeats its consumers to them, so a broker answers CONSUMER_NOT_ONLINE
// for a group whose 5.x clients are all connected and consuming. The proxy
// answers GET_CONSUMER_CONNECTION_LIST on its remoting port for the
// clients connected to it, so the consumers of such a group are asked
// there (Config.Proxies), after the broker said none.

// proxiesOf returns the proxies configured for the broker's target.
func (p *Poller) proxiesOf(b *snapshot.Broker) []string {
	if b.Target < 0 || b.Target >= len(p.cfg.Proxies) {
		return nil
	}
	return p.cfg.Proxies[b.Target]
}

// proxyConnections fills g from what the broker's proxies list for it, and
// reports whether every proxy answered; CONSUMER_NOT_ONLINE is an answer.
// A client connected to several proxies is one client.
func (p *Poller) proxyConnections(ctx context.Context, st *stageCount, b *snapshot.Broker, g *snapshot.Group) bool {
	answered := true
	seen := map[string]bool{}
	for _, addr := range p.proxiesOf(b) {
		cc, err := ask(ctx, p, st, func(c context.Context) (*admin.ConsumerConnection, error) {
			return p.adm.ConsumerConnections(c, addr, g.Name)
		})
		switch {
		case remoting.ResponseCode(err) == remoting.CodeConsumerNotOnline:
			continue
		case err != nil:
			answered = false
			continue
		}
		for _, c := range cc.ConnectionSet {
			if seen[c.ClientID] {
				continue
			}
			seen[c.ClientID] = true
			g.Clients = append(g.Clients, snapshot.Client{ID: c.ClientID, Addr: c.ClientAddr, Language: c.Language,
				Version: c.Version, Proxy: addr})
		}
		if len(cc.ConnectionSet) > 0 {
			g.Online, g.MessageModel, g.ConsumeType = true, cc.MessageModel, cc.ConsumeType
		}
	}
	sort.Slice(g.Clients, func(i, j int) bool { return g.Clients[i].ID < g.Clients[j].ID })
	return answered
}
