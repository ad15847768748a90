// Command benchreal counts the exporter's calls per cycle against a real
// RocketMQ broker (started with internal/realbroker, 5.3.3 by default), in
// the two shapes the Java exporter was measured in: 100 topics / 100
// groups, then 1,000 topics / 500 groups, with 10 groups online (real
// rocketmq-client-go consumers) and the others offline, lagging by 3
// messages. It prints RPCs per cycle by request, steady state (after the
// poller's 70 s activity window, first cycle excluded), against the
// targets of 188 and 1,092 (5 % of the Java exporter's counts).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/workload"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/scale"
)

// updateConsumerOffset is RequestCode.UPDATE_CONSUMER_OFFSET: it commits an
// offset for a group as its consumer would, without a consumer.
const updateConsumerOffset = 15

type shape struct {
	topics, groups int
	target         int
}

func main() {
	version := flag.String("version", "", "RocketMQ version (default $ROCKETMQ_VERSION, else 5.3.3)")
	online := flag.Int("online", 10, "groups with a live consumer")
	queues := flag.Int("queues", 4, "queues per topic")
	lag := flag.Int("lag", 3, "messages each offline group lags behind")
	every := flag.Duration("every", 5*time.Second, "time between cycle starts")
	steady := flag.Duration("steady", 80*time.Second, "measure after this long (the poller's 70 s activity window)")
	measured := flag.Int("measured", 4, "steady cycles averaged")
	flag.Parse()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { <-sig; cancel() }()

	fmt.Fprintln(os.Stderr, "benchreal: starting a real RocketMQ (first run resolves its jars with mvn)")
	c, err := realbroker.Start(ctx, realbroker.Options{Version: *version, Logf: func(f string, a ...any) {
		fmt.Fprintf(os.Stderr, f+"\n", a...)
	}})
	if err != nil {
		fail(err)
	}
	defer c.Stop()
	b := &bench{c: c, queues: *queues, lag: *lag, adm: brokeradmin.New(remoting.NewClient(remoting.Options{}))}
	defer b.adm.Remoting().Close()
	defer b.closeConsumers()

	fmt.Printf("# Exporter RPCs per cycle against a real RocketMQ %s\n\n", c.Version)
	fmt.Printf("date %s; %d queues per topic; %d groups online (rocketmq-client-go push consumers, caught up), the others offline, "+
		"lagging by %d messages; no traffic while measuring; a cycle every %v, steady state = the %d cycles after %v, first cycle excluded\n\n",
		time.Now().UTC().Format(time.RFC3339), *queues, *online, *lag, *every, *measured, *steady)
	for _, s := range []shape{{100, 100, 188}, {1000, 500, 1092}} {
		if err := b.grow(ctx, s, *online); err != nil {
			fail(err)
		}
		if err := b.measure(ctx, s, *every, *steady, *measured); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchreal:", err)
	os.Exit(1)
}

type bench struct {
	c         *realbroker.Cluster
	adm       *brokeradmin.Client
	queues    int
	lag       int
	topics    int
	groups    int
	consumers []*workload.Consumer
	producer  *workload.Producer
}

func topicName(i int) string { return fmt.Sprintf("bench_topic_%04d", i) }
func groupName(i int) string { return fmt.Sprintf("bench_group_%04d", i) }

func (b *bench) closeConsumers() {
	for _, c := range b.consumers {
		c.Close()
	}
	if b.producer != nil {
		b.producer.Close()
	}
}

// grow creates topics and groups up to s: group i consumes topic i; the
// first `online` groups through a live consumer, the others have offsets
// committed `lag` messages behind the end of their topic.
func (b *bench) grow(ctx context.Context, s shape, online int) error {
	start := time.Now()
	for i := b.topics; i < s.topics; i++ {
		if err := b.adm.CreateTopic(ctx, b.c.BrokerAddr, admin.TopicConfig{TopicName: topicName(i), ReadQueueNums: b.queues}); err != nil {
			return fmt.Errorf("create topic %d: %w", i, err)
		}
	}
	for i := b.groups; i < s.groups; i++ {
		if err := b.adm.CreateSubscriptionGroup(ctx, b.c.BrokerAddr, brokeradmin.NewGroupConfig(groupName(i))); err != nil {
			return fmt.Errorf("create group %d: %w", i, err)
		}
	}
	if err := b.waitRoutes(ctx, s.topics); err != nil {
		return err
	}
	if b.producer == nil {
		p, err := workload.NewProducer(b.c.NamesrvAddr, "PID_bench")
		if err != nil {
			return err
		}
		b.producer = p
	}
	// Enough messages that every queue of a consumed topic holds some.
	per := 2 * b.queues
	for i := b.groups; i < s.groups; i++ {
		if err := b.producer.Send(ctx, topicName(i), per, []byte("benchreal")); err != nil {
			return err
		}
	}
	for i := b.groups; i < s.groups; i++ {
		if i < online {
			c, err := workload.NewConsumer(b.c.NamesrvAddr, groupName(i), topicName(i))
			if err != nil {
				return err
			}
			b.consumers = append(b.consumers, c)
			continue
		}
		if err := b.commitBehind(ctx, topicName(i), groupName(i)); err != nil {
			return err
		}
	}
	for k, c := range b.consumers {
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err := c.WaitFor(wctx, int64(per))
		cancel()
		if err != nil {
			return fmt.Errorf("consumer %d: %w", k, err)
		}
	}
	b.topics, b.groups = s.topics, s.groups
	fmt.Fprintf(os.Stderr, "benchreal: %d topics / %d groups ready in %v\n", s.topics, s.groups, time.Since(start).Round(time.Second))
	// Let the consumers commit (every 5 s) and the broker settle.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(10 * time.Second):
	}
	return nil
}

// waitRoutes waits until the namesrv routes every topic (the broker
// registers new topics with it).
func (b *bench) waitRoutes(ctx context.Context, n int) error {
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := b.adm.TopicRoute(ctx, b.c.NamesrvAddr, topicName(n-1)); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("topic %s never routed: %w", topicName(n-1), err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// commitBehind commits offsets for group on topic so that it lags b.lag
// messages behind, spread one per queue over the first queues holding some.
func (b *bench) commitBehind(ctx context.Context, topic, group string) error {
	ts, err := b.adm.TopicStats(ctx, b.c.BrokerAddr, topic)
	if err != nil {
		return err
	}
	left := b.lag
	for _, q := range ts.Queues {
		off := q.MaxOffset
		if left > 0 && off > 0 {
			off--
			left--
		}
		ext := map[string]string{"consumerGroup": group, "topic": topic, "queueId": strconv.Itoa(q.QueueID),
			"commitOffset": strconv.FormatInt(off, 10)}
		if _, err := b.adm.Remoting().Call(ctx, b.c.BrokerAddr, updateConsumerOffset, ext, nil); err != nil {
			return fmt.Errorf("commit %s@%s queue %d: %w", topic, group, q.QueueID, err)
		}
	}
	return nil
}

func (b *bench) measure(ctx context.Context, s shape, every, steady time.Duration, measured int) error {
	set := app.Defaults()
	set.Namesrvs = []string{b.c.NamesrvAddr}
	set.CycleTimeout = time.Minute
	a, err := app.New(set, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Printf("## %d topics / %d groups\n\n", s.topics, s.groups)
	fmt.Println("| cycle | at | took | RPCs |")
	fmt.Println("|---|---|---|---|")
	start := time.Now()
	sum := map[string]int{}
	n := 0
	var first map[string]int
	for k := 1; n < measured; k++ {
		cstart := time.Now()
		snap := a.Cycle(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for _, br := range snap.Brokers {
			if !br.Up {
				return fmt.Errorf("cycle %d: broker %s down: %s", k, br.Name, br.Err)
			}
		}
		at := time.Since(start)
		fmt.Printf("| %d | %v | %v | %d |\n", k, at.Round(time.Second), time.Since(cstart).Round(time.Millisecond), scale.Total(snap.RPCs))
		if k == 1 {
			first = snap.RPCs
		}
		if k > 1 && at >= steady {
			for name, v := range snap.RPCs {
				sum[name] += v
			}
			n++
		}
		if wait := every - time.Since(cstart); wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
	}
	fmt.Printf("\n| request | first cycle | steady, mean of %d |\n|---|---|---|\n", n)
	names := map[string]bool{}
	for k := range sum {
		names[k] = true
	}
	for k := range first {
		names[k] = true
	}
	var order []string
	for k := range names {
		order = append(order, k)
	}
	sort.Strings(order)
	total := 0.0
	for _, k := range order {
		v := float64(sum[k]) / float64(n)
		total += v
		fmt.Printf("| %s | %d | %.1f |\n", k, first[k], v)
	}
	verdict := "meets"
	if total > float64(s.target) {
		verdict = "MISSES"
	}
	fmt.Printf("| **total** | %d | **%.1f** |\n\nsteady state %.1f RPCs per cycle %s the target of ≤ %d (Java: %s)\n\n",
		scale.Total(first), total, total, verdict, s.target, map[int]string{100: "3,767.5", 1000: "21,811–21,868"}[s.topics])
	return nil
}
