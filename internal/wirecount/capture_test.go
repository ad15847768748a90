package wirecount

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/testtool"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting/remotingtest"
)

// otherCode is what the other process asks: a code this one never sends.
const otherCode = 999

// The helper process is the other client on the same port (as the
// rocketmq-client-go consumers are beside the exporter): it makes
// WIRECOUNT_HELPER_CALLS calls to WIRECOUNT_HELPER_ADDR and exits.
func TestMain(m *testing.M) {
	if addr := os.Getenv("WIRECOUNT_HELPER_ADDR"); addr != "" {
		n, _ := strconv.Atoi(os.Getenv("WIRECOUNT_HELPER_CALLS"))
		c := remoting.NewClient(remoting.Options{})
		for i := 0; i < n; i++ {
			if _, err := c.Call(context.Background(), addr, otherCode, nil, nil); err != nil {
				os.Exit(3)
			}
		}
		c.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startCapture starts a capture of the requests to port for this process,
// or skips when tcpdump is missing or may not capture here.
func startCapture(t *testing.T, ports ...int) (*Capture, *Owner) {
	t.Helper()
	testtool.Need(t, "Debian: apt-get install tcpdump", "tcpdump")
	own := NewOwner(os.Getpid())
	c, err := Start(context.Background(), Options{Ports: ports, Owner: own})
	if err != nil {
		if os.Geteuid() != 0 {
			testtool.Missing(t, fmt.Sprintf("the right to capture (run as root): %v", err))
		}
		t.Fatal(err)
	}
	return c, own
}

// counter is the server's count of what it received, by code: the judge.
type counter struct {
	mu sync.Mutex
	n  map[int]int
}

func (c *counter) handle(req *remoting.Command, _ string) *remoting.Command {
	c.mu.Lock()
	c.n[req.Code]++
	c.mu.Unlock()
	return &remoting.Command{Code: remoting.CodeSuccess}
}

// What the capture counts for this process is what the server received
// from it, code for code; the other process's calls on the same port are
// left out and show under Others.
func TestCaptureCountsWhatTheServerReceived(t *testing.T) {
	srv := &counter{n: map[int]int{}}
	addr := remotingtest.Serve(t, srv.handle)
	_, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	capt, own := startCapture(t, port)

	cl := remoting.NewClient(remoting.Options{})
	ctx := context.Background()
	calls := map[int]int{remoting.GetBrokerClusterInfo: 3, remoting.GetBrokerRuntimeInfo: 5, remoting.GetConsumeStats: 40}
	var wg sync.WaitGroup
	for code, n := range calls {
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() { // concurrent calls: frames share segments
				defer wg.Done()
				ext := map[string]string{"consumerGroup": "g" + strconv.Itoa(i)}
				if _, err := cl.Call(ctx, addr, code, ext, make([]byte, 100*i)); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	mid := time.Now()
	if _, err := cl.Call(ctx, addr, remoting.GetAllTopicConfig, nil, nil); err != nil {
		t.Fatal(err)
	}
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), "WIRECOUNT_HELPER_ADDR="+addr, "WIRECOUNT_HELPER_CALLS=7")
	if out, err := helper.CombinedOutput(); err != nil {
		t.Fatalf("helper: %v %s", err, out)
	}
	// Sync alone makes every request sent so far countable; Stop loses none.
	// The client stays connected until then, as the exporter's connections
	// do: a connection is told this process's by its socket in /proc, and
	// tcpdump hands packets over late, so one opened and closed before the
	// capture reads its first packet cannot be attributed (Owner).
	if err := capt.Sync(); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	sameAsServer(t, "after Sync", capt, srv.n)
	st, err := capt.Stop()
	if err != nil {
		t.Fatal(err)
	}
	sameAsServer(t, "after Stop", capt, srv.n)
	// The window splits by capture time.
	if late, _ := capt.Requests(mid, time.Time{}); late[remoting.GetAllTopicConfig] != 1 || len(late) != 1 {
		t.Errorf("after the concurrent calls: %v", late)
	}
	if early, _ := capt.Requests(time.Time{}, mid); early[remoting.GetAllTopicConfig] != 0 || early[remoting.GetConsumeStats] != 40 {
		t.Errorf("until the concurrent calls ended: %v", early)
	}
	if st.Captured == 0 || st.Dropped != 0 {
		t.Errorf("tcpdump's figures: %+v", st)
	}
	if own.Err() != nil {
		t.Error(own.Err())
	}
}

// sameAsServer compares the capture's count for this process with what the
// server received from it, and its count of the others with the helper's.
func sameAsServer(t *testing.T, when string, capt *Capture, received map[int]int) {
	t.Helper()
	got, err := capt.Requests(time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(when, err)
	}
	for code, n := range received {
		if code != otherCode && got[code] != n {
			t.Errorf("%s: code %d: captured %d, the server received %d", when, code, got[code], n)
		}
	}
	if got[otherCode] != 0 || len(got) != len(received)-1 {
		t.Errorf("%s: captured %v for this process; the server received %v (%d of code %d from the other process)", when, got, received, received[otherCode], otherCode)
	}
	if o := capt.Others(); o.Requests != received[otherCode] || o.Connections != 1 || o.Unread != 0 {
		t.Errorf("%s: others: %+v; the other process made %d calls on 1 connection", when, o, received[otherCode])
	}
}
