package history

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func newFile(t *testing.T, max int) *File {
	t.Helper()
	f, err := NewFile(filepath.Join(t.TempDir(), "leak-state.json"), max)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func recall(t *testing.T, s Source) map[Broker]Names {
	t.Helper()
	m, err := s.Recall(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFileRoundTrip(t *testing.T) {
	f := newFile(t, 0)
	in := map[Broker]Names{
		bA:  {Topics: []string{"t2", "t1", "t1"}, Groups: []string{"g1"}},
		bB:  {Groups: []string{"%RETRY%g", "g-ü"}},
		bA2: {Topics: []string{"t1"}},
	}
	over, err := f.Save(in)
	if err != nil || len(over) != 0 {
		t.Fatalf("Save: overflow %v, err %v", over, err)
	}
	want := map[Broker]Names{
		bA:  {Topics: []string{"t1", "t2"}, Groups: []string{"g1"}},
		bB:  {Groups: []string{"%RETRY%g", "g-ü"}},
		bA2: {Topics: []string{"t1"}},
	}
	if got := recall(t, f); !reflect.DeepEqual(got, want) {
		t.Fatalf("Recall = %v, want %v", got, want)
	}
	// A second Save replaces, not appends; a fresh File on the same path
	// (the restarted exporter) reads what the last Save wrote.
	if _, err := f.Save(map[Broker]Names{bB: {Topics: []string{"t3"}}}); err != nil {
		t.Fatal(err)
	}
	again, _ := NewFile(f.Path(), 0)
	if got := recall(t, again); !reflect.DeepEqual(got, map[Broker]Names{bB: {Topics: []string{"t3"}}}) {
		t.Fatalf("after the second Save, Recall = %v", got)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(f.Path()), ".*tmp*")); len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}

func TestFileMissingOrEmptyRecallsNothing(t *testing.T) {
	f := newFile(t, 0)
	if got := recall(t, f); len(got) != 0 {
		t.Fatalf("missing file recalled %v", got)
	}
	if err := os.WriteFile(f.Path(), []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := recall(t, f); len(got) != 0 {
		t.Fatalf("empty file recalled %v", got)
	}
}

func TestFileCorruptIsAClearError(t *testing.T) {
	for name, body := range map[string]string{
		"truncated":       `{"version":1,"brokers":[{"cluster":"c","broker":"b","topics":["t1"`,
		"not json":        "\x00\xff garbage",
		"wrong shape":     `{"version":1,"brokers":{"cluster":"c"}}`,
		"unknown field":   `{"version":1,"brokers":[],"tombstones":3}`,
		"other version":   `{"version":2,"brokers":[]}`,
		"no version":      `{"brokers":[]}`,
		"broker unnamed":  `{"version":1,"brokers":[{"cluster":"c","topics":["t"]}]}`,
		"names not texts": `{"version":1,"brokers":[{"cluster":"c","broker":"b","topics":[1,2]}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFile(t, 0)
			if err := os.WriteFile(f.Path(), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			m, err := f.Recall(context.Background())
			if err == nil || !strings.Contains(err.Error(), f.Path()) {
				t.Fatalf("Recall = %v, %v; want an error naming the file", m, err)
			}
			if m != nil {
				t.Fatalf("a corrupt file recalled %v", m)
			}
		})
	}
}

func TestFileUnreadableIsAnError(t *testing.T) {
	f := newFile(t, 0)
	if err := os.Mkdir(f.Path(), 0o700); err != nil { // a directory where the file should be
		t.Fatal(err)
	}
	if _, err := f.Recall(context.Background()); err == nil {
		t.Fatal("Recall of a directory: no error")
	}
	if _, err := f.Save(map[Broker]Names{bA: {Topics: []string{"t"}}}); err == nil {
		t.Fatal("Save over a directory: no error")
	}
	if _, err := NewFile(" ", 0); err == nil {
		t.Fatal("NewFile with an empty path: no error")
	}
}

func TestFileCapCountsOverflow(t *testing.T) {
	f := newFile(t, 3)
	in := map[Broker]Names{
		bA: {Topics: []string{"t5", "t4", "t3", "t2", "t1"}, Groups: []string{"g1", "g2", "g3", "g4"}},
		bB: {Topics: []string{"t1", "t2", "t3"}},
	}
	over, err := f.Save(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Overflow{bA: {Topics: 2, Groups: 1}}); !reflect.DeepEqual(over, want) {
		t.Fatalf("overflow = %v, want %v", over, want)
	}
	want := map[Broker]Names{
		bA: {Topics: []string{"t1", "t2", "t3"}, Groups: []string{"g1", "g2", "g3"}},
		bB: {Topics: []string{"t1", "t2", "t3"}},
	}
	if got := recall(t, f); !reflect.DeepEqual(got, want) {
		t.Fatalf("Recall = %v, want %v", got, want)
	}
}

// Concurrent Saves, from this File and from another File on the same path
// (a second process), never leave a partial file: every Recall during and
// after them reads one of the saved states whole.
func TestFileConcurrentSavesAreAtomic(t *testing.T) {
	f := newFile(t, 0)
	other, _ := NewFile(f.Path(), 0)
	states := make([]map[Broker]Names, 8)
	for i := range states {
		var topics []string
		for j := 0; j < 2000; j++ { // big enough that a torn write would show
			topics = append(topics, fmt.Sprintf("w%d-topic-%05d", i, j))
		}
		states[i] = map[Broker]Names{bA: {Topics: topics}}
	}
	if _, err := f.Save(states[0]); err != nil {
		t.Fatal(err)
	}
	whole := func(m map[Broker]Names) bool {
		for _, s := range states {
			if reflect.DeepEqual(m, s) {
				return true
			}
		}
		return false
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i, s := range states {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := f
			if i%2 == 1 {
				w = other
			}
			for k := 0; k < 5; k++ {
				if _, err := w.Save(s); err != nil {
					errs <- err
				}
			}
		}()
	}
	readers := make(chan struct{})
	go func() {
		defer close(readers)
		for k := 0; k < 50; k++ {
			m, err := f.Recall(context.Background())
			if err != nil {
				errs <- err
				return
			}
			if !whole(m) {
				errs <- fmt.Errorf("a Recall during the Saves read a state no Save wrote (%d brokers)", len(m))
				return
			}
		}
	}()
	wg.Wait()
	<-readers
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if m := recall(t, f); !whole(m) {
		t.Fatalf("after the Saves the file holds a state no Save wrote")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(f.Path()), ".*tmp*")); len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}

// TestFileKeepsFirstLives: the pairs of first lives (Past) survive a Save
// and a Recall, under the same cap as pairs, and a file written before
// the field existed still reads, with no past.
func TestFileKeepsFirstLives(t *testing.T) {
	f := newFile(t, 2)
	past := []Pair{{"t3", "g"}, {"t1", "g"}, {"t2", "g"}, {"t1", "g"}}
	over, err := f.Save(map[Broker]Names{bA: {Groups: []string{"g"}, Past: past}})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Overflow{bA: {Past: 1}}); !reflect.DeepEqual(over, want) {
		t.Fatalf("overflow = %v, want %v", over, want)
	}
	want := map[Broker]Names{bA: {Groups: []string{"g"}, Past: []Pair{{"t1", "g"}, {"t2", "g"}}}}
	if got := recall(t, f); !reflect.DeepEqual(got, want) {
		t.Fatalf("Recall = %v, want %v", got, want)
	}
	old := `{"version":1,"brokers":[{"cluster":"c","broker":"b","groups":["g"],"pairs":[{"topic":"t","group":"g"}]}]}`
	if err := os.WriteFile(f.Path(), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	want = map[Broker]Names{{Cluster: "c", Broker: "b"}: {Groups: []string{"g"}, Pairs: []Pair{{"t", "g"}}}}
	if got := recall(t, f); !reflect.DeepEqual(got, want) {
		t.Fatalf("a file without past: Recall = %v, want %v", got, want)
	}
}
