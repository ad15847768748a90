package main

import (
	"context"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
)

// gate keeps a consumer a fixed number of messages behind a producer: the
// consumer is let through one message at a time, and only while the
// producer has sent more than behind messages it has not let through yet.
// Lag then stays at about behind whatever the rates do, instead of growing
// (consumer too slow) or draining (consumer too fast).
type gate struct {
	mu       sync.Mutex
	cond     *sync.Cond
	behind   int64
	produced int64
	admitted int64
	closed   bool
}

func newGate(behind int64) *gate {
	g := &gate{behind: behind}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// sent records n messages sent.
func (g *gate) sent(n int64) {
	g.mu.Lock()
	g.produced += n
	g.mu.Unlock()
	g.cond.Broadcast()
}

// admit blocks until one more message may be consumed, or the gate closed.
func (g *gate) admit() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for !g.closed && g.produced-g.admitted <= g.behind {
		g.cond.Wait()
	}
	g.admitted++
}

// close lets everything through, for shutdown.
func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.cond.Broadcast()
}

func (g *gate) counts() (produced, admitted int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.produced, g.admitted
}

// demoWorkload is the running producer and consumer.
type demoWorkload struct {
	logger   *log.Logger
	cancel   context.CancelFunc
	loop     sync.WaitGroup
	gate     *gate
	orders   *workload.Producer
	billing  rocketmq.PushConsumer
	consumed atomic.Int64
	sendErrs atomic.Int64
}

// startWorkload creates the demo topics, leaves demo-archiver behind on
// demo-audit, and starts demo-billing and the demo-orders producer.
func startWorkload(ctx context.Context, c *realbroker.Cluster, cfg config, logger *log.Logger) (w *demoWorkload, err error) {
	logger.Printf("creating topics %s and %s", topicOrders, topicAudit)
	if err := createTopics(ctx, c, topicOrders, topicAudit); err != nil {
		return nil, err
	}
	const auditFirst, auditLater = 60, 40
	logger.Printf("%s: consuming the first %d messages of %s, then going offline; %d more follow", groupArchiver, auditFirst, topicAudit, auditLater)
	if err := leaveArchiverBehind(ctx, c.NamesrvAddr, auditFirst, auditLater); err != nil {
		return nil, err
	}

	wctx, cancel := context.WithCancel(context.Background())
	w = &demoWorkload{logger: logger, cancel: cancel, gate: newGate(cfg.lag)}
	defer func() {
		if err != nil {
			w.stop()
		}
	}()
	if w.billing, err = w.startBilling(c.NamesrvAddr); err != nil {
		return w, fmt.Errorf("%s: %w", groupBilling, err)
	}
	if w.orders, err = workload.NewProducer(c.NamesrvAddr, producerGroup); err != nil {
		return w, fmt.Errorf("%s: %w", producerGroup, err)
	}
	logger.Printf("producing %.3g msg/s to %s; %s stays about %d messages behind", cfg.rate, topicOrders, groupBilling, cfg.lag)
	w.loop.Add(1)
	go w.produce(wctx, cfg.rate)
	return w, nil
}

// createTopics creates the topics with 4 queues each, in parallel (each
// mqadmin call is a JVM that takes a few seconds).
func createTopics(ctx context.Context, c *realbroker.Cluster, topics ...string) error {
	errs := make(chan error, len(topics))
	for _, t := range topics {
		go func() {
			_, err := c.MQAdmin(ctx, "updateTopic", "-b", c.BrokerAddr, "-t", t, "-r", "4", "-w", "4")
			errs <- err
		}()
	}
	var first error
	for range topics {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// leaveArchiverBehind has demo-archiver consume the first messages of
// demo-audit and shut down (committing its offsets); later messages stay
// unconsumed.
func leaveArchiverBehind(ctx context.Context, namesrv string, first, later int) error {
	p, err := workload.NewProducer(namesrv, "demo-audit-writer")
	if err != nil {
		return err
	}
	defer p.Close()
	if err := p.Send(ctx, topicAudit, first, []byte(`{"event":"login"}`)); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := workload.ConsumeAll(cctx, namesrv, groupArchiver, topicAudit, int64(first)); err != nil {
		return fmt.Errorf("%s: %w", groupArchiver, err)
	}
	return p.Send(ctx, topicAudit, later, []byte(`{"event":"logout"}`))
}

func (w *demoWorkload) startBilling(namesrv string) (rocketmq.PushConsumer, error) {
	pc, err := rocketmq.NewPushConsumer(
		consumer.WithNameServer([]string{namesrv}),
		consumer.WithGroupName(groupBilling),
		consumer.WithInstance(fmt.Sprintf("billing-%d", time.Now().UnixNano())),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		// Called before each message is handed over, in queue order.
		consumer.WithLimiter(func(string) { w.gate.admit() }),
	)
	if err != nil {
		return nil, err
	}
	err = pc.Subscribe(topicOrders, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		w.consumed.Add(int64(len(msgs)))
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		return nil, err
	}
	if err := pc.Start(); err != nil {
		return nil, fmt.Errorf("start consumer: %w", err)
	}
	return pc, nil
}

// produce sends one order per tick until ctx ends.
func (w *demoWorkload) produce(ctx context.Context, rate float64) {
	defer w.loop.Done()
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		body := fmt.Appendf(nil, `{"order":%d,"amount_cents":%d}`, n, 100+(n*7919)%90000)
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := w.orders.Send(sctx, topicOrders, 1, body)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if e := w.sendErrs.Add(1); e == 1 || e%50 == 0 {
				w.logger.Printf("%s: send failed (%d failures so far): %v", topicOrders, e, err)
			}
			continue
		}
		w.gate.sent(1)
	}
}

// status is one line on how the workload does.
func (w *demoWorkload) status() string {
	sent, admitted := w.gate.counts()
	return fmt.Sprintf("%s: %d sent (%d send errors); %s consumed %d, %d behind",
		topicOrders, sent, w.sendErrs.Load(), groupBilling, w.consumed.Load(), sent-admitted)
}

// stop ends the producer, then the consumer (it commits its offsets on the
// way). It is safe on a partly started workload.
func (w *demoWorkload) stop() {
	w.cancel()
	w.loop.Wait()
	if w.orders != nil {
		if err := w.orders.Close(); err != nil {
			w.logger.Printf("%s producer: %v", topicOrders, err)
		}
	}
	w.gate.close()
	if w.billing != nil {
		if err := w.billing.Shutdown(); err != nil {
			w.logger.Printf("%s consumer: %v", groupBilling, err)
		}
	}
}
