package brokeradmin

import (
	"context"
	"errors"
	"strconv"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// Pull answers that carry no messages (PullMessageProcessor).
const (
	codePullNotFound       = 19
	codePullRetryImmediate = 20
	codePullOffsetMoved    = 21
)

// Pull sysFlag bits (PullSysFlag).
const (
	pullFlagCommitOffset = 1 << 0
	pullFlagSubscription = 1 << 2
)

// PullResult is what a pull found, without the message bodies.
type PullResult struct {
	Found           bool // messages were returned
	NextBeginOffset int64
	MinOffset       int64
	MaxOffset       int64
}

// PullRequest pulls from one queue of a topic the way rocketmq-mqtt pulls
// light message queues: by name, queue 0, with the subscription in the
// request (no registered consumer needed), optionally committing an offset.
type PullRequest struct {
	Group        string
	Topic        string
	QueueID      int
	Offset       int64
	MaxMessages  int
	CommitOffset int64 // committed when Commit is set
	Commit       bool
}

// Pull issues PULL_MESSAGE. Answers without messages are results, not errors.
func (c *Client) Pull(ctx context.Context, broker string, r PullRequest) (*PullResult, error) {
	if r.MaxMessages <= 0 {
		r.MaxMessages = 32
	}
	flag := pullFlagSubscription
	if r.Commit {
		flag |= pullFlagCommitOffset
	}
	ext := map[string]string{
		"consumerGroup":        r.Group,
		"topic":                r.Topic,
		"queueId":              strconv.Itoa(r.QueueID),
		"queueOffset":          strconv.FormatInt(r.Offset, 10),
		"maxMsgNums":           strconv.Itoa(r.MaxMessages),
		"sysFlag":              strconv.Itoa(flag),
		"commitOffset":         strconv.FormatInt(r.CommitOffset, 10),
		"suspendTimeoutMillis": "0",
		"subscription":         "*",
		"subVersion":           "0",
		"expressionType":       "TAG",
	}
	resp, err := c.call(ctx, broker, remoting.PullMessage, ext, nil, nil)
	var re *remoting.ResponseError
	switch {
	case err == nil:
		return pullResult(resp.ExtFields, true), nil
	case errors.As(err, &re) && (re.Code == codePullNotFound || re.Code == codePullRetryImmediate || re.Code == codePullOffsetMoved):
		return &PullResult{NextBeginOffset: r.Offset}, nil
	}
	return nil, err
}

func pullResult(ext map[string]string, found bool) *PullResult {
	num := func(k string) int64 {
		n, _ := strconv.ParseInt(ext[k], 10, 64)
		return n
	}
	return &PullResult{Found: found, NextBeginOffset: num("nextBeginOffset"), MinOffset: num("minOffset"), MaxOffset: num("maxOffset")}
}
