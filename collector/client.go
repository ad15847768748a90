package collector

import (
	"strconv"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

var clientL = []string{"cluster", "broker", "group", "client_id", "topic"}

// runningFamily is one figure a consumer client reports about itself.
func runningFamily(name, help string, get func(r *snapshot.ClientRunning) float64, replaces string) *family {
	return &family{
		name: name, help: help, typ: gauge, labels: clientL, prio: prioClient, needs: needClient,
		source: "GET_CONSUMER_RUNNING_INFO (statusTable)", replaces: replaces,
		emit: func(v *view, s *sink) {
			v.eachClient(func(b *snapshot.Broker, g *snapshot.Group, c *snapshot.Client) {
				for topic, r := range c.Running {
					s.add(get(&r), b.Cluster, b.Name, g.Name, c.ID, topic)
				}
			})
		},
	}
}

// clientFamilies are per client: only with ClientMetrics.
func clientFamilies() []*family {
	infoL := with(groupL, "client_id", "client_addr", "language", "version")
	return []*family{
		{
			name: "rocketmq_consumer_client_info", typ: gauge, labels: infoL, prio: prioClient, needs: needClient,
			help:   "Always 1: a consumer client connected to the broker for the group, with its address, language and version code.",
			source: "GET_CONSUMER_CONNECTION_LIST", replaces: "labels caddr, localaddr of rocketmq_group_count",
			emit: func(v *view, s *sink) {
				v.eachClient(func(b *snapshot.Broker, g *snapshot.Group, c *snapshot.Client) {
					s.add(1, b.Cluster, b.Name, g.Name, c.ID, c.Addr, c.Language, strconv.Itoa(c.Version))
				})
			},
		},
		runningFamily("rocketmq_consumer_client_consume_latency_seconds", "Average time the client's listener took per message of the topic, as the client reports it, in seconds.",
			func(r *snapshot.ClientRunning) float64 { return msToSeconds(r.ConsumeRT) }, "rocketmq_client_consume_rt"),
		runningFamily("rocketmq_consumer_client_consume_ok_messages_per_second", "Messages of the topic the client consumed successfully per second, as it reports it.",
			func(r *snapshot.ClientRunning) float64 { return r.ConsumeOKTPS }, "rocketmq_client_consume_ok_msg_tps"),
		runningFamily("rocketmq_consumer_client_consume_failed_messages_per_second", "Messages of the topic the client failed to consume per second, as it reports it.",
			func(r *snapshot.ClientRunning) float64 { return r.ConsumeFailedTPS }, "rocketmq_client_consume_fail_msg_tps"),
		runningFamily("rocketmq_consumer_client_consume_failed_messages", "Messages of the topic the client failed to consume in the last hour, as it reports it.",
			func(r *snapshot.ClientRunning) float64 { return float64(r.ConsumeFailedMsgs) }, "rocketmq_client_consume_fail_msg_count"),
		runningFamily("rocketmq_consumer_client_pull_latency_seconds", "Average time the client's pulls of the topic took, as it reports it, in seconds.",
			func(r *snapshot.ClientRunning) float64 { return msToSeconds(r.PullRT) }, "rocketmq_client_consumer_pull_rt"),
		runningFamily("rocketmq_consumer_client_pull_messages_per_second", "Messages of the topic the client pulled per second, as it reports it.",
			func(r *snapshot.ClientRunning) float64 { return r.PullTPS }, "rocketmq_client_consumer_pull_tps"),
		{
			name: "rocketmq_producer_client_info", typ: gauge, labels: infoL, prio: prioClient, needs: needClient,
			help:   "Always 1: a producer client connected to the broker for the group, with its address, language and version code.",
			source: "GET_ALL_PRODUCER_INFO", replaces: "(none)",
			emit: func(v *view, s *sink) {
				v.eachProducer(func(b *snapshot.Broker, p *snapshot.ProducerGroup) {
					for i := range p.Clients {
						c := &p.Clients[i]
						if i > 0 && p.Clients[i-1].ID == c.ID {
							continue
						}
						s.add(1, b.Cluster, b.Name, p.Name, c.ID, c.Addr, c.Language, strconv.Itoa(c.Version))
					}
				})
			},
		},
	}
}
