package remoting

import "sync"

// LargeAnswer is the size from which an answer counts against a client's
// AnswerBudget: the broker-wide listings are megabytes at a large estate,
// a per-entity answer a few kilobytes.
const LargeAnswer = 1 << 20

// answerBudget bounds the bytes of large answers a client holds at once:
// a connection's reader waits for room before it reads a large answer's
// body, and the caller gives the room back once it has decoded the answer
// (Command.Release). An answer larger than the whole budget is read alone.
// Waiting readers hold their answers in the kernel's socket buffers, not
// in the heap.
type answerBudget struct {
	mu      sync.Mutex
	room    sync.Cond
	limit   int
	used    int
	waiting int // readers waiting for room
}

func newAnswerBudget(limit int) *answerBudget {
	if limit <= 0 {
		return nil
	}
	b := &answerBudget{limit: limit}
	b.room.L = &b.mu
	return b
}

// take waits until an answer of n bytes fits and counts it; it returns
// what give must hand back (0 for a small answer or no budget).
func (b *answerBudget) take(n int) int {
	if b == nil || n < LargeAnswer {
		return 0
	}
	n = min(n, b.limit)
	b.mu.Lock()
	for b.used+n > b.limit {
		b.waiting++
		b.room.Wait()
		b.waiting--
	}
	b.used += n
	b.mu.Unlock()
	return n
}

func (b *answerBudget) give(n int) {
	if b == nil || n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
	b.room.Broadcast()
}

// state is what the budget holds and how many readers wait, for tests.
func (b *answerBudget) state() (used, waiting int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used, b.waiting
}
