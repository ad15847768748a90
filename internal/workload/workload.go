// Package workload produces and consumes real messages with
// rocketmq-client-go, for end-to-end tests and the demo.
package workload

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

var quiet sync.Once

// Quiet turns rocketmq-client-go's logging down to errors.
func Quiet() { quiet.Do(func() { rlog.SetLogLevel("error") }) }

var instance atomic.Int64

// uniqueName keeps client instances apart inside one process: the
// library shares state between clients with the same instance name.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), instance.Add(1))
}

// Producer is a started producer.
type Producer struct{ p rocketmq.Producer }

// NewProducer starts a producer in group.
func NewProducer(namesrv, group string) (*Producer, error) {
	return NewProducerAs(namesrv, group, primitive.Credentials{})
}

// NewProducerAs starts a producer in group that signs its requests with
// creds, for a broker with ACL on (empty creds: unsigned).
func NewProducerAs(namesrv, group string, creds primitive.Credentials) (*Producer, error) {
	Quiet()
	p, err := rocketmq.NewProducer(
		producer.WithNameServer([]string{namesrv}),
		producer.WithCredentials(creds),
		producer.WithGroupName(group),
		producer.WithInstanceName(uniqueName("p")),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(5*time.Second),
	)
	if err != nil {
		return nil, err
	}
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("start producer: %w", err)
	}
	return &Producer{p: p}, nil
}

// Send sends n messages of body to topic, synchronously.
func (p *Producer) Send(ctx context.Context, topic string, n int, body []byte) error {
	for i := 0; i < n; i++ {
		res, err := p.sendRetry(ctx, primitive.NewMessage(topic, body))
		if err != nil {
			return fmt.Errorf("send %d/%d to %s: %w", i+1, n, topic, err)
		}
		if res.Status != primitive.SendOK {
			return fmt.Errorf("send %d/%d to %s: status %v", i+1, n, topic, res.Status)
		}
	}
	return nil
}

// sendRetry sends msg, retrying while the broker answers that it is busy
// (flow control on a loaded machine), as a production client would.
func (p *Producer) sendRetry(ctx context.Context, msg *primitive.Message) (*primitive.SendResult, error) {
	for attempt := 0; ; attempt++ {
		res, err := p.p.SendSync(ctx, msg)
		if err == nil || attempt == 5 || !strings.Contains(err.Error(), "busy") {
			return res, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Duration(200*(attempt+1)) * time.Millisecond):
		}
	}
}

// Close shuts the producer down.
func (p *Producer) Close() error { return p.p.Shutdown() }

// Produce sends n messages to topic with a throw-away producer.
func Produce(ctx context.Context, namesrv, topic string, n int) error {
	p, err := NewProducer(namesrv, uniqueName("PID_test"))
	if err != nil {
		return err
	}
	defer p.Close()
	return p.Send(ctx, topic, n, []byte("hello rocketmq"))
}

// Consumer is a started push consumer.
type Consumer struct {
	c        rocketmq.PushConsumer
	received atomic.Int64
}

// NewConsumer starts a clustering push consumer of group on topic, from the
// first offset. Received counts messages handed to it.
func NewConsumer(namesrv, group, topic string) (*Consumer, error) {
	return newConsumer(namesrv, group, topic, false, primitive.Credentials{})
}

// NewConsumerAs is NewConsumer signing its requests with creds.
func NewConsumerAs(namesrv, group, topic string, creds primitive.Credentials) (*Consumer, error) {
	return newConsumer(namesrv, group, topic, false, creds)
}

// NewFailingConsumer is a consumer that rejects every message with no
// retries left, so the broker sends each one straight to the group's
// dead-letter topic (%DLQ%group) through a consumer send-back.
func NewFailingConsumer(namesrv, group, topic string) (*Consumer, error) {
	return newConsumer(namesrv, group, topic, true, primitive.Credentials{})
}

func newConsumer(namesrv, group, topic string, fail bool, creds primitive.Credentials) (*Consumer, error) {
	Quiet()
	opts := []consumer.Option{
		consumer.WithNameServer([]string{namesrv}),
		consumer.WithCredentials(creds),
		consumer.WithGroupName(group),
		consumer.WithInstance(uniqueName("c")),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	}
	result := consumer.ConsumeSuccess
	if fail {
		opts = append(opts, consumer.WithMaxReconsumeTimes(0))
		result = consumer.ConsumeRetryLater
	}
	pc, err := rocketmq.NewPushConsumer(opts...)
	if err != nil {
		return nil, err
	}
	c := &Consumer{c: pc}
	err = pc.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		c.received.Add(int64(len(msgs)))
		return result, nil
	})
	if err != nil {
		return nil, err
	}
	if err := pc.Start(); err != nil {
		return nil, fmt.Errorf("start consumer: %w", err)
	}
	return c, nil
}

// Received is how many messages the consumer got so far.
func (c *Consumer) Received() int64 { return c.received.Load() }

// WaitFor waits until n messages arrived or ctx ends.
func (c *Consumer) WaitFor(ctx context.Context, n int64) error {
	for c.Received() < n {
		select {
		case <-ctx.Done():
			return fmt.Errorf("received %d of %d messages: %w", c.Received(), n, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// Close shuts the consumer down; it commits its offsets on the way.
func (c *Consumer) Close() error { return c.c.Shutdown() }

// ConsumeAll consumes n messages of topic in group, then shuts the
// consumer down so its offsets are committed to the broker.
func ConsumeAll(ctx context.Context, namesrv, group, topic string, n int64) error {
	c, err := NewConsumer(namesrv, group, topic)
	if err != nil {
		return err
	}
	err = c.WaitFor(ctx, n)
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	return err
}

// ProduceMultiDispatch sends n messages to topic, each also dispatched by
// the broker to every light message queue in lmqs, as rocketmq-mqtt does
// (the broker needs enableLmq and enableMultiDispatch).
func (p *Producer) ProduceMultiDispatch(ctx context.Context, topic string, lmqs []string, n int) error {
	for i := 0; i < n; i++ {
		msg := primitive.NewMessage(topic, []byte("mqtt"))
		msg.WithProperty("INNER_MULTI_DISPATCH", strings.Join(lmqs, ","))
		res, err := p.sendRetry(ctx, msg)
		if err != nil {
			return fmt.Errorf("multi-dispatch send %d/%d: %w", i+1, n, err)
		}
		if res.Status != primitive.SendOK {
			return fmt.Errorf("multi-dispatch send %d/%d: status %v", i+1, n, res.Status)
		}
	}
	return nil
}
