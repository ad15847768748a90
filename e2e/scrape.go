// Package e2e holds the end-to-end tests: a real RocketMQ broker, the
// exporter assembled as in production, and (for the alerting tests) a
// real Prometheus. This file has the helpers they share.
package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics is one parsed scrape.
type Metrics map[string]*dto.MetricFamily

// Scrape fetches and parses the telemetry path of h.
func Scrape(h http.Handler) (Metrics, string, error) {
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	if rr.Code != http.StatusOK {
		return nil, "", fmt.Errorf("scrape: HTTP %d: %s", rr.Code, rr.Body.String())
	}
	text := rr.Body.String()
	m, err := parse(strings.NewReader(text))
	return m, text, err
}

// ScrapeURL fetches and parses a live endpoint.
func ScrapeURL(client *http.Client, url string) (Metrics, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: HTTP %d", url, resp.StatusCode)
	}
	return parse(resp.Body)
}

func parse(r io.Reader) (Metrics, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(r)
	return Metrics(mfs), err
}

// Value returns the value of the one series of family name whose labels
// include all of want, and whether exactly one matched.
func (m Metrics) Value(name string, want map[string]string) (float64, bool) {
	var vals []float64
	for _, s := range m.Series(name, want) {
		switch {
		case s.Gauge != nil:
			vals = append(vals, s.Gauge.GetValue())
		case s.Counter != nil:
			vals = append(vals, s.Counter.GetValue())
		case s.Untyped != nil:
			vals = append(vals, s.Untyped.GetValue())
		}
	}
	if len(vals) != 1 {
		return 0, false
	}
	return vals[0], true
}

// Series lists family name's series whose labels include all of want.
func (m Metrics) Series(name string, want map[string]string) []*dto.Metric {
	mf := m[name]
	if mf == nil {
		return nil
	}
	var out []*dto.Metric
	for _, s := range mf.Metric {
		if matches(s, want) {
			out = append(out, s)
		}
	}
	return out
}

func matches(s *dto.Metric, want map[string]string) bool {
	have := map[string]string{}
	for _, l := range s.Label {
		have[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// Mentions lists every family with a series carrying label=value.
func (m Metrics) Mentions(label, value string) []string {
	var out []string
	for name, mf := range m {
		for _, s := range mf.Metric {
			if matches(s, map[string]string{label: value}) {
				out = append(out, name)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}
