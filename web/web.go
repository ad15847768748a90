// Package web serves the exporter's HTTP endpoints: the telemetry path,
// health and readiness probes, and a landing page that shows, per cluster
// and broker, what the last collection found.
package web

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// Source is what the pages read: the latest snapshot and readiness.
type Source interface {
	Snapshot() *snapshot.Snapshot
	Ready() <-chan struct{}
}

// SeriesCounter reports series served per family in the last scrape.
type SeriesCounter interface {
	LastSeries() map[string]int
}

// Options configure the router.
type Options struct {
	TelemetryPath string
	Version       string
	// Gatherer serves the live families (the exporter's own counters).
	Gatherer prometheus.Gatherer
	// Cached, when set, holds the snapshot's families already encoded;
	// they are appended to the live ones.
	Cached Encoded
	Source Source
	Series SeriesCounter
	Logger *slog.Logger
	// RoutePrefix is the path every endpoint is served under ("/" or ""
	// for none), as Prometheus' --web.route-prefix: behind a reverse
	// proxy that forwards /rocketmq/… unchanged, it is "/rocketmq".
	RoutePrefix string
}

//go:embed landing.html
var pages embed.FS

var landing = template.Must(template.New("landing.html").Funcs(template.FuncMap{
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return time.Since(t).Round(time.Second).String() + " ago"
	},
	"ms": func(d time.Duration) string { return strconv.FormatFloat(d.Seconds()*1000, 'f', 0, 64) + " ms" },
}).ParseFS(pages, "landing.html"))

// NewRouter builds the chi router. The landing page links relatively, so
// its links work under any route prefix and behind a proxy that strips one.
func NewRouter(o Options) http.Handler {
	if o.TelemetryPath == "" {
		o.TelemetryPath = "/metrics"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	prefix := strings.TrimRight(o.RoutePrefix, "/")
	if prefix == "" {
		return routes(o)
	}
	outer := chi.NewRouter()
	outer.Mount(prefix, routes(o))
	// The landing page links relatively: it must be asked with the slash.
	outer.Get(prefix, http.RedirectHandler(prefix+"/", http.StatusFound).ServeHTTP)
	outer.Get("/", http.RedirectHandler(prefix+"/", http.StatusFound).ServeHTTP)
	return outer
}

// routes are the endpoints, relative to the route prefix.
func routes(o Options) http.Handler {
	r := chi.NewRouter()
	if o.Cached != nil {
		r.Handle(o.TelemetryPath, telemetry(o.Gatherer, o.Cached, o.Logger))
	} else {
		r.Handle(o.TelemetryPath, promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{
			ErrorHandling: promhttp.ContinueOnError, // one bad series never blanks the scrape
			ErrorLog:      slog.NewLogLogger(o.Logger.Handler(), slog.LevelError),
		}))
	}
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	r.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		select {
		case <-o.Source.Ready():
			w.Write([]byte("ready\n"))
		default:
			http.Error(w, "no collection has completed yet", http.StatusServiceUnavailable)
		}
	})
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := landing.Execute(w, buildPage(o)); err != nil {
			o.Logger.Error("landing page", "err", err)
		}
	})
	return r
}

type page struct {
	Version       string
	TelemetryPath string
	TelemetryLink string // TelemetryPath relative to the landing page
	Collected     bool
	Seq           uint64
	Finished      time.Time
	Duration      time.Duration
	Overran       bool
	Series        int
	Removed       map[string]int64
	Targets       []*snapshot.Target
	Brokers       []brokerRow
}

type brokerRow struct {
	*snapshot.Broker
	Leaked int
	Topics int
	Groups int
	// Failing are the collection stages whose last calls failed, with
	// their errors: a broker can be up with part of its data carried.
	Failing []snapshot.Stage
}

func buildPage(o Options) page {
	p := page{Version: o.Version, TelemetryPath: o.TelemetryPath, TelemetryLink: "./" + strings.TrimLeft(o.TelemetryPath, "/")}
	if o.Series != nil {
		for _, n := range o.Series.LastSeries() {
			p.Series += n
		}
	}
	s := o.Source.Snapshot()
	if s == nil {
		return p
	}
	p.Collected, p.Seq, p.Finished, p.Duration, p.Overran, p.Targets = true, s.Seq, s.Finished, s.Duration(), s.Overran, s.Targets
	p.Removed = s.Self.Removed
	for _, b := range s.Brokers {
		row := brokerRow{Broker: b, Topics: len(b.Topics), Groups: len(b.Groups)}
		for _, st := range b.Stages {
			if !st.OK {
				row.Failing = append(row.Failing, st)
			}
		}
		if b.Leaks != nil {
			for _, n := range b.Leaks.StatItems {
				row.Leaked += n
			}
		}
		p.Brokers = append(p.Brokers, row)
	}
	sort.SliceStable(p.Brokers, func(i, j int) bool { return p.Brokers[i].Key() < p.Brokers[j].Key() })
	return p
}
