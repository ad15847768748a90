package remoting

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// largePeer answers every request with a body of n bytes and code.
func largePeer(t *testing.T, n, code int) *peer {
	body := bytes.Repeat([]byte{'x'}, n)
	return newPeer(t, func(req *Command, w func([]byte)) { w(reply(req, code, "", body)) })
}

func call(t *testing.T, c *Client, addr string) (*Command, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.Call(ctx, addr, GetAllTopicConfig, nil, nil)
}

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

func TestAnswerBudgetHoldsLargeAnswersUntilReleased(t *testing.T) {
	size := LargeAnswer + LargeAnswer/4
	a, b := largePeer(t, size, CodeSuccess), largePeer(t, size, CodeSuccess)
	c := NewClient(Options{AnswerBudget: LargeAnswer * 2})
	defer c.Close()
	first, err := call(t, c, a.addr())
	if err != nil {
		t.Fatal(err)
	}
	if used, _ := c.budget.state(); used != size+frameOverhead(first) {
		t.Fatalf("budget holds %d bytes, want the first answer's frame", used)
	}
	second := make(chan error, 1)
	go func() {
		resp, err := call(t, c, b.addr())
		if err == nil && len(resp.Body) != size {
			err = errors.New("short body")
		}
		resp.Release()
		second <- err
	}()
	waitFor(t, "the second reader to wait for room", func() bool { _, w := c.budget.state(); return w == 1 })
	select {
	case err := <-second:
		t.Fatalf("the second large answer was read while the first was held (err %v)", err)
	default:
	}
	first.Release()
	first.Release() // a second release gives nothing back twice
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if used, w := c.budget.state(); used != 0 || w != 0 {
		t.Fatalf("after both releases the budget holds %d bytes, %d waiting", used, w)
	}
}

// frameOverhead is what a frame holds besides its body: the budget counts
// the whole frame.
func frameOverhead(cmd *Command) int {
	b, _ := AppendFrame(nil, &Command{Code: cmd.Code, Opaque: cmd.Opaque, Flag: cmd.Flag, Remark: cmd.Remark})
	return len(b) - 4
}

func TestAnswerBudgetSmallAnswersPass(t *testing.T) {
	big, small := largePeer(t, LargeAnswer, CodeSuccess), largePeer(t, 100, CodeSuccess)
	c := NewClient(Options{AnswerBudget: LargeAnswer})
	defer c.Close()
	held, err := call(t, c, big.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	if _, err := call(t, c, small.addr()); err != nil {
		t.Fatalf("a small answer waited behind a held large one: %v", err)
	}
}

func TestAnswerBudgetLargerThanTheBudgetReadAlone(t *testing.T) {
	p := largePeer(t, 3*LargeAnswer, CodeSuccess)
	c := NewClient(Options{AnswerBudget: LargeAnswer})
	defer c.Close()
	for i := 0; i < 2; i++ {
		resp, err := call(t, c, p.addr())
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if used, _ := c.budget.state(); used != LargeAnswer {
			t.Fatalf("an answer over the budget holds %d, want the whole budget", used)
		}
		resp.Release()
	}
}

func TestAnswerBudgetErrorAnswerGivesRoomBack(t *testing.T) {
	p := largePeer(t, LargeAnswer, 1)
	c := NewClient(Options{AnswerBudget: LargeAnswer})
	defer c.Close()
	for i := 0; i < 2; i++ {
		if _, err := call(t, c, p.addr()); ResponseCode(err) != 1 {
			t.Fatalf("call %d: %v, want the broker's error", i, err)
		}
	}
	if used, _ := c.budget.state(); used != 0 {
		t.Fatalf("error answers left %d bytes held", used)
	}
}

// A large answer that arrives after its caller gave up is read by nobody:
// its room must come back, or every later large answer waits for ever.
func TestAnswerBudgetLateAnswerGivesRoomBack(t *testing.T) {
	body := bytes.Repeat([]byte{'x'}, LargeAnswer)
	late := make(chan func(), 1)
	p := newPeer(t, func(req *Command, w func([]byte)) {
		switch {
		case req.ExtFields["late"] != "":
			late <- func() { w(reply(req, CodeSuccess, "", body)) }
		case req.ExtFields["small"] != "":
			w(reply(req, CodeSuccess, "", nil))
		default:
			w(reply(req, CodeSuccess, "", body))
		}
	})
	c := NewClient(Options{AnswerBudget: LargeAnswer})
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Call(ctx, p.addr(), GetAllTopicConfig, map[string]string{"late": "1"}, nil)
		done <- err
	}()
	answer := <-late
	// An answer after the late call was sent keeps the connection: a
	// call given up on a socket where nothing arrived closes it.
	if _, err := c.Call(context.Background(), p.addr(), GetAllTopicConfig, map[string]string{"small": "1"}, nil); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
	answer()
	// The next answer comes behind the late one on the same socket: it
	// is read only once the late one's room is back.
	resp, err := call(t, c, p.addr())
	if err != nil {
		t.Fatalf("a large answer after a dropped one: %v", err)
	}
	resp.Release()
	if n := p.accept.Load(); n != 1 {
		t.Fatalf("%d connections, want the one the late answer came on", n)
	}
}
