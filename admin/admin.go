// Package admin offers the typed admin and stats calls of RocketMQ's
// namesrv and brokers, with decoders for their fastjson bodies.
package admin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/fastjson"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// Client issues admin calls over a remoting client.
type Client struct {
	rc       *remoting.Client
	onDecode func(requestCode int)
}

// OnDecodeError registers f to learn of every answer whose body did not
// decode (the remoting layer saw a successful round trip). Call before use.
func (c *Client) OnDecodeError(f func(requestCode int)) { c.onDecode = f }

// New wraps a remoting client.
func New(rc *remoting.Client) *Client { return &Client{rc: rc} }

// DecodeError is a body that did not parse as the call's answer.
type DecodeError struct {
	Addr        string
	RequestCode int
	Err         error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("rocketmq %s: %s: undecodable body: %v", e.Addr, remoting.RequestName(e.RequestCode), e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// call performs one request and decodes the body into out (when non-nil).
func (c *Client) call(ctx context.Context, addr string, code int, ext map[string]string, body []byte, out any) (*remoting.Command, error) {
	resp, err := c.rc.Call(ctx, addr, code, ext, body)
	if err != nil {
		return nil, err
	}
	defer resp.Release() // decoded: a large answer's room goes to the next
	if out != nil {
		var err error
		if len(resp.Body) == 0 {
			err = fmt.Errorf("empty body")
		} else {
			err = fastjson.Unmarshal(resp.Body, out)
		}
		if err != nil {
			if c.onDecode != nil {
				c.onDecode(code)
			}
			return nil, &DecodeError{Addr: addr, RequestCode: code, Err: err}
		}
	}
	return resp, nil
}

// ClusterInfo asks a namesrv for every cluster and broker it knows.
func (c *Client) ClusterInfo(ctx context.Context, namesrv string) (*ClusterInfo, error) {
	var ci ClusterInfo
	if _, err := c.call(ctx, namesrv, remoting.GetBrokerClusterInfo, nil, nil, &ci); err != nil {
		return nil, err
	}
	return &ci, nil
}

// RuntimeInfo answers GET_BROKER_RUNTIME_INFO. Every value of Table is a
// string; their formats differ between versions.
type RuntimeInfo struct {
	Table map[string]string
	// VersionCode is the broker's MQVersion ordinal (407 for V4_9_7, 479
	// for V5_3_3), read from the response header, which every broker
	// version fills. The table's own brokerVersion key says the same up to
	// 5.3.3; 5.4.0 dropped that key.
	VersionCode int
}

// BrokerRuntime returns the runtime table and the broker's version code.
func (c *Client) BrokerRuntime(ctx context.Context, broker string) (*RuntimeInfo, error) {
	var kv struct {
		Table map[string]string `json:"table"`
	}
	resp, err := c.call(ctx, broker, remoting.GetBrokerRuntimeInfo, nil, nil, &kv)
	if err != nil {
		return nil, err
	}
	return &RuntimeInfo{Table: kv.Table, VersionCode: resp.Version}, nil
}

// AllTopicConfig returns every topic config the broker holds (never LMQs).
func (c *Client) AllTopicConfig(ctx context.Context, broker string) (*TopicConfigTable, error) {
	return c.SiftedTopicConfig(ctx, broker, nil)
}

// AllSubscriptionGroups returns every subscription-group config.
func (c *Client) AllSubscriptionGroups(ctx context.Context, broker string) (*SubscriptionGroupTable, error) {
	return c.SiftedSubscriptionGroups(ctx, broker, nil)
}

// TopicStats returns the offset range of every queue of topic on broker.
func (c *Client) TopicStats(ctx context.Context, broker, topic string) (*TopicStats, error) {
	var w topicStatsWire
	if _, err := c.call(ctx, broker, remoting.GetTopicStatsInfo, map[string]string{"topic": topic}, nil, &w); err != nil {
		return nil, err
	}
	ts, err := w.stats()
	if err != nil {
		return nil, &DecodeError{Addr: broker, RequestCode: remoting.GetTopicStatsInfo, Err: err}
	}
	return ts, nil
}

// BrokerConsumeStats returns every group's consume stats in one call.
func (c *Client) BrokerConsumeStats(ctx context.Context, broker string, isOrder bool) (*BrokerConsumeStats, error) {
	return c.SiftedConsumeStats(ctx, broker, isOrder, nil)
}

// SiftedConsumeStats is BrokerConsumeStats keeping what sieve keeps (all
// of it when nil).
func (c *Client) SiftedConsumeStats(ctx context.Context, broker string, isOrder bool, sieve *ConsumeSieve) (*BrokerConsumeStats, error) {
	w := brokerConsumeStatsWire{sieve: sieve}
	ext := map[string]string{"isOrder": strconv.FormatBool(isOrder)}
	if _, err := c.call(ctx, broker, remoting.GetBrokerConsumeStats, ext, nil, &w); err != nil {
		return nil, err
	}
	return w.stats(), nil
}

// ViewBrokerStatsData reads one broker stat item. A key the broker does not
// hold answers SYSTEM_ERROR "The stats <name> <key> not exist".
func (c *Client) ViewBrokerStatsData(ctx context.Context, broker, statsName, statsKey string) (*BrokerStatsData, error) {
	var d BrokerStatsData
	ext := map[string]string{"statsName": statsName, "statsKey": statsKey}
	if _, err := c.call(ctx, broker, remoting.ViewBrokerStatsData, ext, nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// IsStatsNotExist reports whether err is the broker saying it holds no
// stat item for the requested name and key.
func IsStatsNotExist(err error) bool { return systemErrorSays(err, "not exist") }

// ConsumerConnections lists an online group's client connections. An
// offline group answers CONSUMER_NOT_ONLINE.
func (c *Client) ConsumerConnections(ctx context.Context, broker, group string) (*ConsumerConnection, error) {
	var cc ConsumerConnection
	if _, err := c.call(ctx, broker, remoting.GetConsumerConnectionList, map[string]string{"consumerGroup": group}, nil, &cc); err != nil {
		return nil, err
	}
	return &cc, nil
}

// AllProducerInfo lists every producer client the broker knows, by group.
func (c *Client) AllProducerInfo(ctx context.Context, broker string) (*ProducerTable, error) {
	var pt ProducerTable
	if _, err := c.call(ctx, broker, remoting.GetAllProducerInfo, nil, nil, &pt); err != nil {
		return nil, err
	}
	return &pt, nil
}

// ConsumerRunningInfo asks, through the broker, one client for its own
// consumption figures.
func (c *Client) ConsumerRunningInfo(ctx context.Context, broker, group, clientID string) (*ConsumerRunningInfo, error) {
	var w consumerRunningInfoWire
	ext := map[string]string{"consumerGroup": group, "clientId": clientID, "jstackEnable": "false"}
	if _, err := c.call(ctx, broker, remoting.GetConsumerRunningInfo, ext, nil, &w); err != nil {
		return nil, err
	}
	info := &ConsumerRunningInfo{StatusTable: w.StatusTable, Properties: make(map[string]string, len(w.Properties))}
	for k, raw := range w.Properties {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw) // a number or boolean: keep its text
		}
		info.Properties[k] = s
	}
	return info, nil
}

// QueryConsumeTimeSpan returns, per queue of topic, the store times that
// bound group's progress, read from the index without message bodies.
func (c *Client) QueryConsumeTimeSpan(ctx context.Context, broker, topic, group string) ([]QueueTimeSpan, error) {
	var b timeSpanWire
	ext := map[string]string{"topic": topic, "group": group}
	if _, err := c.call(ctx, broker, remoting.QueryConsumeTimeSpan, ext, nil, &b); err != nil {
		return nil, err
	}
	sort.Slice(b.ConsumeTimeSpanSet, func(i, j int) bool {
		return b.ConsumeTimeSpanSet[i].MessageQueue.QueueID < b.ConsumeTimeSpanSet[j].MessageQueue.QueueID
	})
	return b.ConsumeTimeSpanSet, nil
}

type timeSpanWire struct {
	ConsumeTimeSpanSet []QueueTimeSpan `json:"consumeTimeSpanSet"`
}

// AllConsumerOffsets returns every committed offset on the broker. A broker
// with none answers SYSTEM_ERROR "No consumer offset in this broker"; that
// is returned as an empty table.
func (c *Client) AllConsumerOffsets(ctx context.Context, broker string) (*ConsumerOffsets, error) {
	var w consumerOffsetWire
	_, err := c.call(ctx, broker, remoting.GetAllConsumerOffset, nil, nil, &w)
	if err != nil {
		if systemErrorSays(err, "No consumer offset") {
			return &ConsumerOffsets{}, nil
		}
		return nil, err
	}
	out := &ConsumerOffsets{Entries: make([]ConsumerOffsetEntry, 0, len(w.OffsetTable))}
	for key, queues := range w.OffsetTable {
		topic, group, ok := splitTopicGroup(key)
		if !ok {
			continue // not a topic@group key: nothing to attribute it to
		}
		e := ConsumerOffsetEntry{Topic: topic, Group: group, Offsets: make(map[int]int64, len(queues))}
		for q, off := range queues {
			id, err := strconv.Atoi(q)
			if err != nil {
				return nil, &DecodeError{Addr: broker, RequestCode: remoting.GetAllConsumerOffset, Err: fmt.Errorf("queue id %q: %w", q, err)}
			}
			e.Offsets[id] = off
		}
		out.Entries = append(out.Entries, e)
	}
	sort.Slice(out.Entries, func(i, j int) bool {
		a, b := out.Entries[i], out.Entries[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.Group < b.Group
	})
	return out, nil
}

// systemErrorSays reports whether err is a SYSTEM_ERROR answer whose remark
// contains text: the broker's way of saying "nothing there".
func systemErrorSays(err error, text string) bool {
	var re *remoting.ResponseError
	return errors.As(err, &re) && re.Code == remoting.CodeSystemError && strings.Contains(re.Remark, text)
}

// BrokerConfig returns the broker's effective configuration. The body is
// Java properties text ("key=value" lines), not JSON.
func (c *Client) BrokerConfig(ctx context.Context, broker string) (map[string]string, error) {
	resp, err := c.call(ctx, broker, remoting.GetBrokerConfig, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	return parseProperties(resp.Body), nil
}

func parseProperties(body []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out
}
