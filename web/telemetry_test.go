package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

type fixedEncoded []byte

func (f fixedEncoded) Gzipped() ([]byte, uint64) { return f, 1 }

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// TestTelemetryJoinsLiveAndCached: the live families and the cached bytes
// arrive as one exposition, with and without gzip.
func TestTelemetryJoinsLiveAndCached(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "live_gauge", Help: "Live."})
	g.Set(3)
	reg.MustRegister(g)
	cached := "# HELP cached_gauge Cached.\n# TYPE cached_gauge gauge\ncached_gauge{a=\"b\"} 7\n"
	h := telemetry(reg, fixedEncoded(gz(t, cached)), slog.New(slog.DiscardHandler))

	srv := httptest.NewServer(h)
	defer srv.Close()
	// Go's client asks for gzip and reads every member of the stream.
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !resp.Uncompressed {
		t.Error("the response was not gzip-encoded")
	}
	for _, want := range []string{"live_gauge 3", `cached_gauge{a="b"} 7`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("gzip body lacks %q:\n%s", want, body)
		}
	}
	// A client without gzip gets plain text of both parts.
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	if rr.Header().Get("Content-Encoding") != "" || !strings.HasSuffix(rr.Body.String(), cached) || !strings.Contains(rr.Body.String(), "live_gauge 3") {
		t.Errorf("plain body:\n%s", rr.Body.String())
	}
	if !strings.HasPrefix(rr.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Errorf("content type %q", rr.Header().Get("Content-Type"))
	}
}
