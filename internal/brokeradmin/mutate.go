package brokeradmin

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// Permission bits of a topic.
const (
	PermRead  = 1 << 2
	PermWrite = 1 << 1
)

// CreateTopic creates or updates a topic on one broker. The broker then
// registers it with its namesrvs.
func (c *Client) CreateTopic(ctx context.Context, broker string, tc admin.TopicConfig) error {
	if tc.ReadQueueNums == 0 {
		tc.ReadQueueNums = 4
	}
	if tc.WriteQueueNums == 0 {
		tc.WriteQueueNums = tc.ReadQueueNums
	}
	if tc.Perm == 0 {
		tc.Perm = PermRead | PermWrite
	}
	if tc.TopicFilterType == "" {
		tc.TopicFilterType = "SINGLE_TAG"
	}
	ext := map[string]string{
		"topic":           tc.TopicName,
		"defaultTopic":    "TBW102",
		"readQueueNums":   strconv.Itoa(tc.ReadQueueNums),
		"writeQueueNums":  strconv.Itoa(tc.WriteQueueNums),
		"perm":            strconv.Itoa(tc.Perm),
		"topicFilterType": tc.TopicFilterType,
		"topicSysFlag":    strconv.Itoa(tc.TopicSysFlag),
		"order":           strconv.FormatBool(tc.Order),
	}
	_, err := c.call(ctx, broker, remoting.UpdateAndCreateTopic, ext, nil, nil)
	return err
}

// DeleteTopicInBroker deletes a topic's config, offsets, store and (when the
// broker's autoDeleteUnusedStats is on) its stat items on one broker.
func (c *Client) DeleteTopicInBroker(ctx context.Context, broker, topic string) error {
	_, err := c.call(ctx, broker, remoting.DeleteTopicInBroker, map[string]string{"topic": topic}, nil, nil)
	return err
}

// DeleteTopicInNamesrv removes a topic's route from a namesrv; cluster ""
// removes it from every cluster.
func (c *Client) DeleteTopicInNamesrv(ctx context.Context, namesrv, topic, cluster string) error {
	ext := map[string]string{"topic": topic}
	if cluster != "" {
		ext["clusterName"] = cluster
	}
	_, err := c.call(ctx, namesrv, remoting.DeleteTopicInNamesrv, ext, nil, nil)
	return err
}

// CreateSubscriptionGroup creates or updates a consumer group on a broker.
func (c *Client) CreateSubscriptionGroup(ctx context.Context, broker string, cfg admin.SubscriptionGroupConfig) error {
	if cfg.RetryMaxTimes == 0 {
		cfg.RetryMaxTimes = 16
	}
	if cfg.RetryQueueNums == 0 {
		cfg.RetryQueueNums = 1
	}
	if cfg.WhichBrokerWhenConsumeSlowly == 0 {
		cfg.WhichBrokerWhenConsumeSlowly = 1
	}
	body, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	_, err = c.call(ctx, broker, remoting.UpdateAndCreateSubscriptionGrp, nil, body, nil)
	return err
}

// NewGroupConfig is the configuration mqadmin updateSubGroup writes by
// default: enabled, broadcast allowed, 16 retries.
func NewGroupConfig(name string) admin.SubscriptionGroupConfig {
	return admin.SubscriptionGroupConfig{GroupName: name, ConsumeEnable: true, ConsumeBroadcastEnable: true,
		ConsumeFromMinEnable: true, NotifyConsumerIdsChangedEnable: true}
}

// DeleteSubscriptionGroup deletes a group's config on a broker, and its
// offsets when cleanOffset is set. Its %RETRY% and %DLQ% topics stay.
func (c *Client) DeleteSubscriptionGroup(ctx context.Context, broker, group string, cleanOffset bool) error {
	// 5.x reads cleanOffset, 4.x removeOffset; each ignores the other.
	ext := map[string]string{"groupName": group, "cleanOffset": strconv.FormatBool(cleanOffset),
		"removeOffset": strconv.FormatBool(cleanOffset)}
	_, err := c.call(ctx, broker, remoting.DeleteSubscriptionGroup, ext, nil, nil)
	return err
}
