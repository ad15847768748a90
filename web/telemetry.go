package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Encoded hands out the snapshot's families as one gzip member of
// text-format metrics (see collector.Cache).
type Encoded interface {
	Gzipped() ([]byte, uint64)
}

// telemetry serves the live families, encoded per scrape (they are few),
// followed by the cached snapshot families. With gzip the cached member is
// sent as it is: a gzip stream may hold several members, and every gzip
// reader Prometheus and browsers use reads them all.
func telemetry(live prometheus.Gatherer, cached Encoded, log *slog.Logger) http.Handler {
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mfs, err := live.Gather()
		if err != nil {
			log.Error("gathering the exporter's own metrics", "err", err) // serve what was gathered
		}
		gz, _ := cached.Gzipped()
		w.Header().Set("Content-Type", string(format))
		if acceptsGzip(r) {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			encodeAll(zw, mfs, format, log)
			zw.Close()
			w.Write(gz)
			return
		}
		encodeAll(w, mfs, format, log)
		if len(gz) > 0 {
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				log.Error("cached metrics unreadable", "err", err)
				return
			}
			io.Copy(w, zr)
		}
	})
}

func encodeAll(w io.Writer, mfs []*dto.MetricFamily, format expfmt.Format, log *slog.Logger) {
	enc := expfmt.NewEncoder(w, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			log.Warn("encoding a metric family failed; it is left out", "family", mf.GetName(), "err", err)
		}
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(enc, "gzip") {
			return true
		}
	}
	return false
}
