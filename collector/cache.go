package collector

import (
	"bytes"
	"github.com/klauspost/compress/gzip"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rocketmq-exporter/rocketmq_exporter/snapshot"
)

// AgeFamily is the one family whose value depends on the scrape's clock:
// a Cache serves it per scrape (Live), not from its encoding.
const AgeFamily = "rocketmq_exporter_snapshot_age_seconds"

// Cache holds the latest snapshot's metrics already encoded (text format,
// gzipped), built once per snapshot. A snapshot never changes after it is
// published, so neither do its metrics: a scrape then costs a write of
// bytes, not the construction and encoding of every series again. The
// build writes the text format straight from the snapshot (text.go): no
// const metric and no registry stands between them.
type Cache struct {
	coll *Collector
	live *Collector
	enc  atomic.Pointer[encoded]
	mu   sync.Mutex   // one build at a time; guards zw
	zw   *gzip.Writer // kept across builds: its compressor is the build's largest fixed cost
}

type encoded struct {
	seq uint64
	gz  []byte
	// served is the encoded snapshot's clock, all the live families read:
	// holding the whole snapshot would keep its entities alive.
	served *snapshot.Snapshot
}

// NewCache builds a cache for the families opts selects.
func NewCache(opts Options) *Cache {
	c := &Cache{}
	opts.part = partCached
	c.coll = New(nil, opts) // encode is handed each snapshot
	opts.part = partLive
	c.live = New(liveSource{c}, opts)
	return c
}

// Live collects the families whose value depends on the scrape's clock,
// about the snapshot whose encoding is served; register it with the
// registry gathered per scrape.
func (c *Cache) Live() prometheus.Collector { return c.live }

type liveSource struct{ c *Cache }

func (s liveSource) Snapshot() *snapshot.Snapshot {
	if e := s.c.enc.Load(); e != nil {
		return e.served
	}
	return nil
}

// Build encodes s unless it, or a newer snapshot, is already encoded. Series that fail
// to build are left out (and logged by the collector); the rest is served.
func (c *Cache) Build(s *snapshot.Snapshot) {
	if s == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.enc.Load(); e != nil && e.seq >= s.Seq {
		return // this one, or a newer one, is encoded already
	}
	var buf bytes.Buffer
	if prev, _ := c.Gzipped(); prev != nil {
		buf.Grow(len(prev) + len(prev)/8) // most snapshots encode to about the last one's size
	}
	if c.zw == nil {
		c.zw, _ = gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	} else {
		c.zw.Reset(&buf)
	}
	c.coll.encode(s, c.zw)
	c.zw.Close()
	c.enc.Store(&encoded{seq: s.Seq, gz: buf.Bytes(), served: &snapshot.Snapshot{Seq: s.Seq, Started: s.Started, Finished: s.Finished}})
}

// Gzipped returns the encoded metrics of the last built snapshot (one gzip
// member) and that snapshot's sequence number; nil before the first build.
func (c *Cache) Gzipped() ([]byte, uint64) {
	if e := c.enc.Load(); e != nil {
		return e.gz, e.seq
	}
	return nil, 0
}

// BuildAsync encodes s in the background once a first encoding exists,
// so a long encoding (millions of series) never delays the next collection
// cycle; until it is done scrapes serve the previous snapshot's bytes. The
// first snapshot is encoded before returning, so readiness means metrics.
func (c *Cache) BuildAsync(s *snapshot.Snapshot) {
	if gz, _ := c.Gzipped(); gz == nil {
		c.Build(s)
		return
	}
	go c.Build(s)
}

// LastSeries reports the series per family of the last build.
func (c *Cache) LastSeries() map[string]int { return c.coll.LastSeries() }

// LastDropped reports what --collect.max-series dropped in the last build.
func (c *Cache) LastDropped() map[string]int { return c.coll.LastDropped() }
