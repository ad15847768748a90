package history

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/config"
)

func TestNewPrometheusRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]PrometheusConfig{
		"empty URL":       {},
		"no scheme":       {URL: "prometheus:9090"},
		"other scheme":    {URL: "ftp://prometheus:9090"},
		"no host":         {URL: "http://"},
		"unparsable":      {URL: "http://[::1"},
		"bad selector":    {URL: "http://p:9090", Selector: `job=rocketmq`},
		"name selector":   {URL: "http://p:9090", Selector: `__name__="up"`},
		"negative window": {URL: "http://p:9090", Window: -time.Hour},
		"bad TLS file":    {URL: "https://p:9090", HTTP: &config.HTTPClientConfig{TLSConfig: config.TLSConfig{CAFile: "testdata/none.pem"}}},
	} {
		t.Run(name, func(t *testing.T) {
			if p, err := NewPrometheus(cfg); err == nil {
				t.Fatalf("NewPrometheus accepted it: %v", p.Matches())
			}
		})
	}
}

func TestNewPrometheusDefaults(t *testing.T) {
	p, err := NewPrometheus(PrometheusConfig{URL: "http://p:9090/prefix", Selector: `job="rocketmq"`})
	if err != nil {
		t.Fatal(err)
	}
	if p.Window() != 7*24*time.Hour {
		t.Fatalf("window %v, want 7 days", p.Window())
	}
	// The error of a bad URL must not leak a password.
	_, err = NewPrometheus(PrometheusConfig{URL: "ftp://u:secret@p:9090"})
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("error %v, want one without the password", err)
	}
}

// serve starts a server answering every request with h and counts them.
func serve(t *testing.T, h http.HandlerFunc) (string, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

func mustPrometheus(t *testing.T, cfg PrometheusConfig) *Prometheus {
	t.Helper()
	p, err := NewPrometheus(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const seriesAnswer = `{"status":"success","data":[
 {"__name__":"rocketmq_topic_info","cluster":"DefaultCluster","broker":"broker-a","topic":"t1","kind":"normal","order":"false"},
 {"__name__":"rocketmq_topic_info","cluster":"DefaultCluster","broker":"broker-a","topic":"t1","kind":"normal","order":"true"},
 {"__name__":"rocketmq_consumer_group_info","target":"ns2:9876","cluster":"DefaultCluster","broker":"broker-a","group":"g1"},
 {"__name__":"rocketmq_topic_info","broker":"broker-a","topic":"no-cluster"},
 {"__name__":"rocketmq_topic_info","cluster":"DefaultCluster","broker":"broker-c"}
]}`

func TestPrometheusOneRequestPerRecall(t *testing.T) {
	url, n := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/prefix/api/v1/series" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(seriesAnswer))
	})
	p := mustPrometheus(t, PrometheusConfig{URL: url + "/prefix"})
	got := recall(t, p)
	want := map[Broker]Names{
		bA:  {Topics: []string{"t1"}},
		bA2: {Groups: []string{"g1"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Recall = %v, want %v", got, want)
	}
	if n.Load() != 1 {
		t.Fatalf("%d requests for one Recall, want 1", n.Load())
	}
}

func TestPrometheusBasicAuthFromURL(t *testing.T) {
	url, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if u, pw, ok := r.BasicAuth(); !ok || u != "reader" || pw != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(seriesAnswer))
	})
	withAuth := strings.Replace(url, "http://", "http://reader:s3cret@", 1)
	if got := recall(t, mustPrometheus(t, PrometheusConfig{URL: withAuth})); len(got) != 2 {
		t.Fatalf("with credentials, Recall = %v", got)
	}
	_, err := mustPrometheus(t, PrometheusConfig{URL: url}).Recall(context.Background())
	if err == nil {
		t.Fatal("without credentials: no error")
	}
	bearer := &config.HTTPClientConfig{Authorization: &config.Authorization{Type: "Basic", Credentials: "cmVhZGVyOnMzY3JldA=="}}
	if got := recall(t, mustPrometheus(t, PrometheusConfig{URL: url, HTTP: bearer})); len(got) != 2 {
		t.Fatalf("with an HTTP config, Recall = %v", got)
	}
}

func TestPrometheusFailuresAreClearErrors(t *testing.T) {
	dead := func() string { // a port nothing listens on
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "http://" + l.Addr().String()
	}()
	garbage, _ := serve(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("\x00\x01<html>not json")) })
	wrongShape, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"success","data":{"topic":"t1"}}`))
	})
	refused, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"1:20: parse error: unexpected character"}`))
	})
	notFound, _ := serve(t, http.NotFound)
	for name, c := range map[string]struct{ url, says string }{
		"unreachable":    {dead, "connection refused"},
		"garbage":        {garbage, "history from Prometheus"},
		"wrong shape":    {wrongShape, "history from Prometheus"},
		"query refused":  {refused, "parse error"},
		"not Prometheus": {notFound, "404"},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := mustPrometheus(t, PrometheusConfig{URL: c.url}).Recall(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("Recall = %v, %v; want an error saying %q", m, err, c.says)
			}
			if !strings.Contains(err.Error(), c.url) {
				t.Fatalf("error %q does not name the server", err)
			}
		})
	}
}

// A server that never answers holds Recall no longer than its context.
func TestPrometheusRecallEndsWithItsContext(t *testing.T) {
	release := make(chan struct{})
	url, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	p := mustPrometheus(t, PrometheusConfig{URL: url})
	done := make(chan error)
	go func() {
		_, err := p.Recall(ctx)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Recall after cancel: %v, want context.Canceled", err)
	}
	// The configured timeout bounds a caller that set none.
	short := mustPrometheus(t, PrometheusConfig{URL: url, Timeout: time.Millisecond})
	if _, err := short.Recall(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Recall past the timeout: %v, want context.DeadlineExceeded", err)
	}
}
