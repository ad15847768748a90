package brokeradmin

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// QueueData is a topic's queue layout on one broker group.
type QueueData struct {
	BrokerName     string `json:"brokerName"`
	ReadQueueNums  int    `json:"readQueueNums"`
	WriteQueueNums int    `json:"writeQueueNums"`
	Perm           int    `json:"perm"`
	TopicSysFlag   int    `json:"topicSysFlag"`
}

// TopicRouteData answers GET_ROUTEINFO_BY_TOPIC.
type TopicRouteData struct {
	BrokerDatas []admin.BrokerData `json:"brokerDatas"`
	QueueDatas  []QueueData        `json:"queueDatas"`
}

// TopicRoute asks a namesrv for a topic's route.
func (c *Client) TopicRoute(ctx context.Context, namesrv, topic string) (*TopicRouteData, error) {
	var rd TopicRouteData
	ext := map[string]string{"topic": topic, "acceptStandardJsonOnly": "true"}
	if _, err := c.call(ctx, namesrv, remoting.GetRouteInfoByTopic, ext, nil, &rd); err != nil {
		return nil, err
	}
	return &rd, nil
}

// AllTopicList asks a namesrv for every topic name it routes.
func (c *Client) AllTopicList(ctx context.Context, namesrv string) ([]string, error) {
	var tl struct {
		TopicList []string `json:"topicList"`
	}
	if _, err := c.call(ctx, namesrv, remoting.GetAllTopicListFromNameserver, nil, nil, &tl); err != nil {
		return nil, err
	}
	sort.Strings(tl.TopicList)
	return tl.TopicList, nil
}

// BrokerRuntimeInfo returns the broker's runtime key/value table.
func (c *Client) BrokerRuntimeInfo(ctx context.Context, broker string) (map[string]string, error) {
	ri, err := c.BrokerRuntime(ctx, broker)
	if err != nil {
		return nil, err
	}
	return ri.Table, nil
}

// ConsumeStats returns a group's progress on one topic, or on every topic
// it has offsets for when topic is empty (GET_CONSUME_STATS; the exporter
// asks GET_BROKER_CONSUME_STATS for every group at once).
func (c *Client) ConsumeStats(ctx context.Context, broker, group, topic string) (*admin.ConsumeStats, error) {
	ext := map[string]string{"consumerGroup": group}
	if topic != "" {
		ext["topic"] = topic
	}
	var cs admin.ConsumeStats
	if _, err := c.call(ctx, broker, remoting.GetConsumeStats, ext, nil, &cs); err != nil {
		return nil, err
	}
	return &cs, nil
}

// QueryTopicConsumeByWho lists the groups online for topic or holding
// offsets on it.
func (c *Client) QueryTopicConsumeByWho(ctx context.Context, broker, topic string) ([]string, error) {
	var gl struct {
		GroupList []string `json:"groupList"`
	}
	if _, err := c.call(ctx, broker, remoting.QueryTopicConsumeByWho, map[string]string{"topic": topic}, nil, &gl); err != nil {
		return nil, err
	}
	sort.Strings(gl.GroupList)
	return gl.GroupList, nil
}

// TopicsByConsumer lists the topics group has committed offsets for on
// broker (QUERY_TOPICS_BY_CONSUMER, 5.0+). 4.x brokers do not know the
// request: they answer REQUEST_CODE_NOT_SUPPORTED, which
// remoting.IsNotSupported recognises.
func (c *Client) TopicsByConsumer(ctx context.Context, broker, group string) ([]string, error) {
	var tl struct {
		TopicList []string `json:"topicList"`
	}
	if _, err := c.call(ctx, broker, remoting.QueryTopicsByConsumer, map[string]string{"group": group}, nil, &tl); err != nil {
		return nil, err
	}
	sort.Strings(tl.TopicList)
	return tl.TopicList, nil
}

// AllDelayOffsets returns the schedule service's progress per delay level.
// A broker with none answers SYSTEM_ERROR "No delay offset": an empty map.
func (c *Client) AllDelayOffsets(ctx context.Context, broker string) (map[int]int64, error) {
	var w struct {
		OffsetTable map[string]int64 `json:"offsetTable"`
	}
	if _, err := c.call(ctx, broker, remoting.GetAllDelayOffset, nil, nil, &w); err != nil {
		if systemErrorSays(err, "No delay offset") {
			return map[int]int64{}, nil
		}
		return nil, err
	}
	out := make(map[int]int64, len(w.OffsetTable))
	for k, v := range w.OffsetTable {
		level, err := strconv.Atoi(k)
		if err != nil {
			return nil, fmt.Errorf("rocketmq %s: delay level %q: %w", broker, k, err)
		}
		out[level] = v
	}
	return out, nil
}
