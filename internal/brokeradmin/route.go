package brokeradmin

import (
	"context"
	"fmt"
	"time"
)

// WaitRoute waits until the namesrv routes every topic to a broker with
// write queues: a topic created on a broker reaches the namesrv with the
// broker's next registration, and a client that sends before that gets "no
// route info". It polls instead of sleeping a fixed time, which is too
// short on a loaded machine and too long on an idle one.
func (c *Client) WaitRoute(ctx context.Context, namesrv string, topics ...string) error {
	for _, topic := range topics {
		for {
			rd, err := c.TopicRoute(ctx, namesrv, topic)
			if err == nil && writable(rd) {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("no route to %s at %s: %w (last answer: %v)", topic, namesrv, ctx.Err(), err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

func writable(rd *TopicRouteData) bool {
	for _, q := range rd.QueueDatas {
		if q.WriteQueueNums > 0 {
			return true
		}
	}
	return false
}
