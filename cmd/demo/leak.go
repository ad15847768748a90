package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// Names of the side workload that leaves a leak behind.
const (
	topicEphemeral = "demo-ephemeral"
	groupEphemeral = "demo-ephemeral-reader"
)

// leakBrokerConf makes the demo broker keep the stat items of deleted
// topics and groups, as 4.x and 5.x before 5.3.1 do by default (5.3.1 on
// cleans most of them up): the demo shows what the leak looks like.
var leakBrokerConf = []string{"autoDeleteUnusedStats=false"}

// leaveALeak sends and consumes messages on a topic of its own and then
// deletes the topic and its group, as an operator would. The broker keeps
// their stat items: the exporter's leak probes find them within a few
// cycles and the leak alerts start evaluating.
func leaveALeak(ctx context.Context, c *realbroker.Cluster, logger *log.Logger) error {
	if err := createTopics(ctx, c, topicEphemeral); err != nil {
		return err
	}
	if err := workload.Produce(ctx, c.NamesrvAddr, topicEphemeral, 40); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := workload.ConsumeAll(cctx, c.NamesrvAddr, groupEphemeral, topicEphemeral, 40); err != nil {
		return fmt.Errorf("%s: %w", groupEphemeral, err)
	}
	rc := remoting.NewClient(remoting.Options{})
	defer rc.Close()
	adm := brokeradmin.New(rc)
	steps := []func() error{
		func() error { return adm.DeleteTopicInBroker(ctx, c.BrokerAddr, topicEphemeral) },
		func() error { return adm.DeleteTopicInNamesrv(ctx, c.NamesrvAddr, topicEphemeral, c.ClusterName) },
		func() error { return adm.DeleteSubscriptionGroup(ctx, c.BrokerAddr, groupEphemeral, true) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	logger.Printf("deleted %s and %s after traffic: their stat items stay in the broker (rocketmq_broker_leaked_stat_items)", topicEphemeral, groupEphemeral)
	return nil
}
