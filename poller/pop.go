package poller

import (
	"context"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// A POP consumer (every 5.x gRPC client, and remoting clients that pop)
// does not own queues: the broker hands out messages, moves the group's
// consumer offset past them at once, and takes them back into the group's
// POP retry topic (%RETRY%<group>_<topic>) when they are not acknowledged
// within their invisible time. So the offsets of a POP group say what was
// handed out, and GROUP_ACK_NUMS says what was acknowledged; what is in
// between, handed out and not yet acknowledged, the broker keeps in memory
// and answers no admin request about (docs/metrics.md).

// isPOP tells a group that consumes by POP, or may: its consumers say so
// (CONSUME_POP), a proxy lists them (gRPC clients always pop), it has POP
// retry topics, or its messages are fetched while the broker lists no
// consumer of it (proxy clients when no proxy is configured). A group whose
// connection list was never answered (first sight waiting its turn) is not
// offline, only unknown: its pairs are not asked GROUP_ACK_NUMS on a guess.
func isPOP(g *snapshot.Group) bool {
	if g.ConsumeType == "CONSUME_POP" || (!g.Online && !g.OnlinePending) {
		return true
	}
	for i := range g.Clients {
		if g.Clients[i].Proxy != "" {
			return true
		}
	}
	for i := range g.Topics {
		if snapshot.IsPOPRetryOf(g.Topics[i].Topic, g.Name) {
			return true
		}
	}
	return false
}

// popAcks reads the acknowledgement windows of the consuming pairs of POP
// groups; a pair not answered keeps its last window.
func (p *Poller) popAcks(ctx context.Context, b *snapshot.Broker, mem *brokerMemory, out []snapshot.Group, consuming []pairRef,
	last map[string]*snapshot.GroupTopic) {
	if !p.cfg.AckRates {
		return
	}
	var pop []pairRef
	for _, r := range consuming {
		if isPOP(&out[r.g]) {
			pop = append(pop, r)
		}
	}
	st := mem.tally.of(stGroupRates)
	p.eachPair(ctx, b, out, pop, last, func(g *snapshot.Group, gt *snapshot.GroupTopic) bool {
		ack, err := p.stat(ctx, st, b.Addr, "GROUP_ACK_NUMS", pairKey(gt.Topic, g.Name))
		if err != nil {
			return false
		}
		if ack != nil {
			gt.Ack = &snapshot.Window{TPS: ack.StatsMinute.Tps, Sum: ack.StatsMinute.Sum}
		}
		return true
	}, func(gt, lt *snapshot.GroupTopic) bool {
		gt.Ack = lt.Ack
		return lt.Ack != nil
	})
}
