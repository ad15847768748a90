// Package remotingtest serves scripted RocketMQ answers on loopback for
// tests: every request frame goes to a handler, whose answer is sent back
// with the request's opaque and the response flag set.
package remotingtest

import (
	"bufio"
	"net"
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// Handler answers one request; self is the server's own address.
type Handler func(req *remoting.Command, self string) *remoting.Command

// Serve listens on a free loopback port until the test ends and returns
// the address.
func Serve(t testing.TB, h Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	self := ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveConn(c, h, self)
		}
	}()
	return self
}

func serveConn(c net.Conn, h Handler, self string) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		req, err := remoting.ReadFrame(br)
		if err != nil {
			return
		}
		resp := h(req, self)
		resp.Opaque, resp.Flag = req.Opaque, resp.Flag|1
		b, err := remoting.AppendFrame(nil, resp)
		if err != nil {
			return
		}
		if _, err := c.Write(b); err != nil {
			return
		}
	}
}
