// Package brokeradmin holds the calls that change a broker (create and
// delete topics and groups, pull messages) and the read calls only tests
// make, for the tests, the demo and the benchmarks. The exporter never
// changes a broker: package admin holds exactly the calls it makes, and a
// Client here adds these to them.
package brokeradmin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/fastjson"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// Client is an admin client with the calls only tests and tools make.
type Client struct {
	*admin.Client
	rc *remoting.Client
}

// New wraps a remoting client; the admin calls go over the same client.
func New(rc *remoting.Client) *Client { return &Client{Client: admin.New(rc), rc: rc} }

// Remoting returns the underlying client (to close it, or to send a
// request no typed call covers).
func (c *Client) Remoting() *remoting.Client { return c.rc }

// call performs one request and decodes its fastjson body into out (when
// non-nil), as admin does for the exporter's calls.
func (c *Client) call(ctx context.Context, addr string, code int, ext map[string]string, body []byte, out any) (*remoting.Command, error) {
	resp, err := c.rc.Call(ctx, addr, code, ext, body)
	if err != nil || out == nil {
		return resp, err
	}
	if len(resp.Body) == 0 {
		return nil, fmt.Errorf("rocketmq %s: %s: empty body", addr, remoting.RequestName(code))
	}
	if err := fastjson.Unmarshal(resp.Body, out); err != nil {
		return nil, fmt.Errorf("rocketmq %s: %s: undecodable body: %w", addr, remoting.RequestName(code), err)
	}
	return resp, nil
}

// systemErrorSays reports whether err is a SYSTEM_ERROR answer whose remark
// contains text: the broker's way of saying "nothing there".
func systemErrorSays(err error, text string) bool {
	var re *remoting.ResponseError
	return errors.As(err, &re) && re.Code == remoting.CodeSystemError && strings.Contains(re.Remark, text)
}
