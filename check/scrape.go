package check

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"
)

// sample is one served series.
type sample struct {
	family string
	labels map[string]string
	value  float64
}

func (s sample) String() string {
	keys := make([]string, 0, len(s.labels))
	for k := range s.labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, s.labels[k])
	}
	return fmt.Sprintf("%s{%s} %g", s.family, strings.Join(parts, ","), s.value)
}

// scrape is one parsed GET /metrics.
type scrape struct {
	samples  []sample
	byFamily map[string][]sample
}

// scrapeHandler fetches and parses the exporter's /metrics, as Prometheus
// would: over HTTP, in the text format.
func scrapeHandler(h http.Handler) (*scrape, error) {
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	if rr.Code != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: HTTP %d: %.200s", rr.Code, rr.Body.String())
	}
	parser := expfmt.NewTextParser(pmodel.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(rr.Body)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	sc := &scrape{byFamily: map[string][]sample{}}
	for name, mf := range mfs {
		for _, m := range mf.Metric {
			s := sample{family: name, labels: map[string]string{}, value: value(m)}
			for _, l := range m.Label {
				s.labels[l.GetName()] = l.GetValue()
			}
			sc.samples = append(sc.samples, s)
			sc.byFamily[name] = append(sc.byFamily[name], s)
		}
	}
	return sc, nil
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	case m.Summary != nil:
		return m.Summary.GetSampleSum()
	case m.Histogram != nil:
		return m.Histogram.GetSampleSum()
	}
	return 0
}

// find lists a family's samples whose labels include want.
func (sc *scrape) find(family string, want map[string]string) []sample {
	var out []sample
	for _, s := range sc.byFamily[family] {
		ok := true
		for k, v := range want {
			if s.labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}
