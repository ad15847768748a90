package app

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting/remotingtest"
)

var update = flag.Bool("update", false, "rewrite the golden /metrics files")

// replayBroker serves a recorded cluster: every request is answered with the
// body a real broker of that version gave for the same request code, and
// the cluster info points at this server, which plays namesrv and broker.
func replayBroker(t *testing.T, dir string) string {
	t.Helper()
	return remotingtest.Serve(t, func(req *remoting.Command, self string) *remoting.Command {
		body, err := os.ReadFile(filepath.Join(dir, remoting.RequestName(req.Code)+".json"))
		switch {
		case err != nil:
			return &remoting.Command{Code: remoting.CodeRequestCodeNotSupported, Remark: "not recorded"}
		case req.Code == remoting.GetBrokerClusterInfo:
			return &remoting.Command{Body: recordedAddr.ReplaceAll(body, []byte(self))} // the recorded broker is us
		}
		return &remoting.Command{Body: body}
	})
}

var recordedAddr = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)

// volatile families depend on the clock of the run, not on the recording.
var volatile = regexp.MustCompile(`^(# (HELP|TYPE) )?(go_|process_|rocketmq_exporter_|rocketmq_broker_collect_duration_seconds|rocketmq_broker_last_success_timestamp_seconds|rocketmq_consumer_group_lag_seconds|rocketmq_group_get_latency_by_storetime)`)

// TestGoldenMetrics runs the whole exporter against each recorded cluster
// state and compares /metrics with testdata/golden/metrics-<version>.prom.
func TestGoldenMetrics(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "testdata", "fixtures", "*"))
	if len(dirs) == 0 {
		t.Fatal("no recorded fixtures")
	}
	for _, dir := range dirs {
		version := filepath.Base(dir)
		t.Run(version, func(t *testing.T) {
			s := Defaults()
			// The Java families and the message rates are off by default;
			// the recorded answers check their values all the same.
			s.Compat, s.MessageRates = true, true
			s.Namesrvs = []string{replayBroker(t, dir)}
			s.Timeout = 2 * time.Second
			a, err := New(s, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			a.Cycle(context.Background())
			rr := httptest.NewRecorder()
			a.Handler.ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
			var kept []string
			sc := bufio.NewScanner(rr.Body)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				line := recordedAddr.ReplaceAllString(sc.Text(), "BROKER_ADDR")
				if !volatile.MatchString(line) {
					kept = append(kept, line)
				}
			}
			got := strings.Join(kept, "\n") + "\n"
			path := filepath.Join("..", "testdata", "golden", "metrics-"+version+".prom")
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./app -run TestGoldenMetrics -update)", err)
			}
			if got != string(want) {
				t.Errorf("/metrics for the recorded %s cluster differs from %s (go test ./app -run TestGoldenMetrics -update rewrites it):\n%s", version, path, firstDiff(string(want), got))
			}
			if !strings.Contains(got, `rocketmq_up{`) || !strings.Contains(got, "rocketmq_topic_info{") {
				t.Errorf("the recorded cluster produced no broker or topic series")
			}
		})
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nwant %s\ngot  %s", i+1, a, b)
		}
	}
	return ""
}
