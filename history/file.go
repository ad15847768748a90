package history

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// DefaultMaxNames caps the topics, and separately the groups, a state file
// keeps per broker.
const DefaultMaxNames = 100_000

// fileVersion is the state file's format; a file of another version is
// refused rather than misread.
const fileVersion = 1

// File is the opt-in state file: Save writes the names the exporter knows
// (typically the tombstones of deleted topics and groups), Recall reads them
// back after a restart. Writes are atomic: a reader, or a process that
// crashes mid-save, sees the previous file or the new one, never a mix.
type File struct {
	path string
	max  int
	mu   sync.Mutex // one Save at a time from this process
}

// NewFile returns the state file at path, capped at maxNames topics and
// maxNames groups per broker (DefaultMaxNames when maxNames <= 0). Nothing
// is read or written yet.
func NewFile(path string, maxNames int) (*File, error) {
	if strings.TrimSpace(path) == "" {
		return nil, errors.New("state file: empty path")
	}
	if maxNames <= 0 {
		maxNames = DefaultMaxNames
	}
	return &File{path: path, max: maxNames}, nil
}

// Path is where the file is.
func (f *File) Path() string { return f.path }

// fileBroker is one broker's entry on disk.
type fileBroker struct {
	Target  string   `json:"target,omitempty"`
	Cluster string   `json:"cluster"`
	Broker  string   `json:"broker"`
	Topics  []string `json:"topics,omitempty"`
	Groups  []string `json:"groups,omitempty"`
	Pairs   []Pair   `json:"pairs,omitempty"`
	Past    []Pair   `json:"past,omitempty"` // pairs of first lives (Names.Past); absent in older files
	Boot    int64    `json:"boot,omitempty"` // the broker's boot time (ms) at the save
}

type fileData struct {
	Version int          `json:"version"`
	Brokers []fileBroker `json:"brokers"`
}

// Recall reads the file. A file that does not exist yet, or is empty,
// recalls nothing without error; one that cannot be decoded is an error
// naming the file, and nothing of it is used.
func (f *File) Recall(ctx context.Context) (map[Broker]Names, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[Broker]Names{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state file: %w", err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[Broker]Names{}, nil
	}
	var d fileData
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("state file %s is corrupt (move it away to start afresh): %w", f.path, err)
	}
	if d.Version != fileVersion {
		return nil, fmt.Errorf("state file %s: version %d, this exporter reads version %d", f.path, d.Version, fileVersion)
	}
	out := map[Broker]Names{}
	for _, b := range d.Brokers {
		if b.Cluster == "" || b.Broker == "" {
			return nil, fmt.Errorf("state file %s is corrupt: an entry without cluster or broker", f.path)
		}
		k := Broker{Target: b.Target, Cluster: b.Cluster, Broker: b.Broker}
		n := out[k] // a broker listed twice (hand-edited file) gets the union
		out[k] = Names{Topics: append(n.Topics, b.Topics...), Groups: append(n.Groups, b.Groups...), Pairs: append(n.Pairs, b.Pairs...),
			Past: append(n.Past, b.Past...), Boot: max(n.Boot, b.Boot)}
	}
	return Merge(out), nil
}

// Overflow counts, per broker, the names a Save left out because of the
// cap.
type Overflow map[Broker]struct{ Topics, Groups, Pairs, Past int }

// Save replaces the file with m, atomically (a temporary file in the same
// directory, synced, then renamed over the file). Per broker at most the cap
// of topics and the cap of groups are kept, the first in sorted order; the
// rest is counted in the returned Overflow (empty when all fit), so the
// caller can report it.
func (f *File) Save(m map[Broker]Names) (Overflow, error) {
	d, over := f.encode(m)
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("state file: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return over, writeAtomic(f.path, raw)
}

// encode sorts, deduplicates and caps m into the file's form.
func (f *File) encode(m map[Broker]Names) (fileData, Overflow) {
	d := fileData{Version: fileVersion, Brokers: []fileBroker{}}
	over := Overflow{}
	for b, n := range Merge(m) {
		if b.Cluster == "" || b.Broker == "" {
			continue // not a broker the exporter serves
		}
		e := fileBroker{Target: b.Target, Cluster: b.Cluster, Broker: b.Broker, Topics: n.Topics, Groups: n.Groups, Pairs: n.Pairs, Past: n.Past, Boot: n.Boot}
		var o struct{ Topics, Groups, Pairs, Past int }
		if len(e.Topics) > f.max {
			o.Topics, e.Topics = len(e.Topics)-f.max, e.Topics[:f.max]
		}
		if len(e.Groups) > f.max {
			o.Groups, e.Groups = len(e.Groups)-f.max, e.Groups[:f.max]
		}
		if len(e.Pairs) > f.max {
			o.Pairs, e.Pairs = len(e.Pairs)-f.max, e.Pairs[:f.max]
		}
		if len(e.Past) > f.max {
			o.Past, e.Past = len(e.Past)-f.max, e.Past[:f.max]
		}
		if o.Topics > 0 || o.Groups > 0 || o.Pairs > 0 || o.Past > 0 {
			over[b] = o
		}
		d.Brokers = append(d.Brokers, e)
	}
	slices.SortFunc(d.Brokers, func(a, b fileBroker) int {
		return strings.Compare(a.Target+"\x00"+a.Cluster+"\x00"+a.Broker, b.Target+"\x00"+b.Cluster+"\x00"+b.Broker)
	})
	return d, over
}

// writeAtomic writes raw to a temporary file next to path and renames it
// over path, so that no reader ever sees a partial file.
func writeAtomic(path string, raw []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	_, err = tmp.Write(raw)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("state file: %w", err)
	}
	return nil
}
