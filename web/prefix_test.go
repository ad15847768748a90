package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestLinksWorkBehindAPrefix: the landing page's links lead to the
// endpoints whether the exporter serves under a route prefix
// (--web.route-prefix) or a proxy strips the prefix before it
// (--web.external-url with a path): every link is followed from where the
// browser found the page.
func TestLinksWorkBehindAPrefix(t *testing.T) {
	src := newFakeSource()
	src.publish(testSnapshot(time.Now()))
	mk := func(prefix string) http.Handler {
		return NewRouter(Options{Version: "v", Gatherer: prometheus.NewRegistry(), Source: src, Series: fakeSeries{}, RoutePrefix: prefix})
	}
	for name, h := range map[string]http.Handler{
		"route prefix":       mk("/rocketmq/"),
		"stripping proxy":    http.StripPrefix("/rocketmq", mk("")),
		"route prefix, bare": mk("/rocketmq"),
	} {
		srv := httptest.NewServer(h)
		base, _ := url.Parse(srv.URL + "/rocketmq/")
		code, body := fetch(t, srv.Client(), base.String())
		if code != http.StatusOK || !strings.Contains(body, "<h2>Brokers</h2>") {
			t.Errorf("%s: %s = %d, want the landing page", name, base, code)
		}
		links := regexp.MustCompile(`href="([^"]+)"`).FindAllStringSubmatch(body, -1)
		followed := 0
		for _, l := range links {
			ref, _ := url.Parse(l[1])
			if ref.IsAbs() {
				continue // documentation links
			}
			u := base.ResolveReference(ref)
			if code, _ := fetch(t, srv.Client(), u.String()); code != http.StatusOK {
				t.Errorf("%s: link %q → %s = %d", name, l[1], u.Path, code)
			}
			followed++
		}
		if followed < 3 {
			t.Errorf("%s: %d links followed, want metrics, health and readiness", name, followed)
		}
		srv.Close()
	}
	// Under a route prefix the bare prefix and the root lead to the page.
	srv := httptest.NewServer(mk("/rocketmq"))
	defer srv.Close()
	for _, path := range []string{"/rocketmq", "/"} {
		if code, body := fetch(t, srv.Client(), srv.URL+path); code != http.StatusOK || !strings.Contains(body, "<h2>Brokers</h2>") {
			t.Errorf("%s under route prefix /rocketmq = %d, want a redirect to the landing page", path, code)
		}
	}
	if code, _ := fetch(t, srv.Client(), srv.URL+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics outside the route prefix = %d, want 404", code)
	}
}

func fetch(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
