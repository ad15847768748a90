package scale

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/exportertest"
	"github.com/rocketmq-exporter/rocketmq_exporter/simbroker"
)

// The sizes of BENCHMARKS.md: topics, groups = topics/2, 3 brokers, 1 ms
// per call. The simulator runs in this process here, so allocations and
// memory include its share; cmd/bench separates them.
var benchSizes = []int{1000, 10000, 100000}

func benchCluster(b *testing.B, topics int) (Sim, *app.App) {
	c := exportertest.Sim(b, simbroker.Options{Brokers: 3, Topics: topics, Groups: topics / 2, Latency: time.Millisecond, Seed: 1})
	sim := Local(c)
	a := newExporter(b, sim.Namesrv(), nil)
	a.Cycle(context.Background()) // the first cycle learns everything; not measured
	return sim, a
}

// BenchmarkCycle is one collection cycle with traffic ticking before it.
func BenchmarkCycle(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("topics=%d", n), func(b *testing.B) {
			sim, a := benchCluster(b, n)
			ctx := context.Background()
			var rpcs, cycles int
			var read int64
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				sim.Tick()
				before, _ := sim.BytesOut()
				asked, _ := sim.Received()
				b.StartTimer()
				s := a.Cycle(ctx)
				b.StopTimer()
				after, _ := sim.BytesOut()
				read += after - before
				now, _ := sim.Received()
				rpcs += Total(now.Sub(asked).ByRequest()) // counted where they arrive
				cycles++
				for _, br := range s.Brokers {
					if !br.Up {
						b.Fatalf("%s down: %s", br.Name, br.Err)
					}
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(rpcs)/float64(cycles), "rpcs/op")
			b.ReportMetric(float64(read)/float64(cycles), "bytes-read/op")
		})
	}
}

// BenchmarkScrape is one GET /metrics, plain text, uncompressed.
func BenchmarkScrape(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("topics=%d", n), func(b *testing.B) {
			_, a := benchCluster(b, n)
			size := 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				req.Header.Set("Accept", "text/plain;version=0.0.4")
				rec := httptest.NewRecorder()
				a.Handler.ServeHTTP(rec, req)
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/op")
		})
	}
}

// BenchmarkEncodeOnly is client_golang alone encoding the same families
// (the exporter's own registry and a collector over the same snapshot):
// gathered once, then only the text encoding is timed. BenchmarkScrape over
// this is the exporter's overhead per scrape.
func BenchmarkEncodeOnly(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("topics=%d", n), func(b *testing.B) {
			_, a := benchCluster(b, n)
			mfs, err := AllFamilies(a)
			if err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				buf.Reset()
				enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
				for _, mf := range mfs {
					if err := enc.Encode(mf); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes/op")
		})
	}
}
