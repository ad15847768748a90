package collector

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// TestCacheEncodesWhatCollectServes: the cached bytes are the collector's
// own exposition of the snapshot, minus the scrape-clock family, and a
// snapshot is encoded once.
func TestCacheEncodesWhatCollectServes(t *testing.T) {
	s := fixtureSnapshot(t)
	c := NewCache(allOn())
	if gz, _ := c.Gzipped(); gz != nil {
		t.Fatal("bytes before the first build")
	}
	c.Build(s)
	gz, seq := c.Gzipped()
	if seq != s.Seq {
		t.Fatalf("cached seq %d, want %d", seq, s.Seq)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(zr)

	var want []string
	for _, line := range strings.Split(render(t, gather(t, newTestCollector(s, allOn()))), "\n") {
		if line != "" && !strings.Contains(line, AgeFamily) {
			want = append(want, line)
		}
	}
	if strings.TrimSpace(string(got)) != strings.Join(want, "\n") {
		t.Errorf("cached exposition differs from Collect's:\n%s", lineDiff(strings.Join(want, "\n"), strings.TrimSpace(string(got))))
	}
	if c.LastSeries()["rocketmq_up"] == 0 {
		t.Error("LastSeries empty after a build")
	}

	c.Build(s) // same snapshot: nothing rebuilt
	if again, _ := c.Gzipped(); &again[0] != &gz[0] {
		t.Error("the same snapshot was encoded twice")
	}
}

// BenchmarkCachedScrape is what a scrape costs once the snapshot is encoded.
func BenchmarkCachedScrape(b *testing.B) {
	c := NewCache(allOn())
	c.Build(bigSnapshot(b))
	gz, _ := c.Gzipped()
	b.SetBytes(int64(len(gz)))
	for b.Loop() {
		g, _ := c.Gzipped()
		io.Copy(io.Discard, bytes.NewReader(g))
	}
}
