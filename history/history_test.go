package history

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

var (
	bA = Broker{Cluster: "DefaultCluster", Broker: "broker-a"}
	bB = Broker{Cluster: "DefaultCluster", Broker: "broker-b"}
	// The same names under another target are another broker.
	bA2 = Broker{Target: "ns2:9876", Cluster: "DefaultCluster", Broker: "broker-a"}
)

func TestMergeUnionsSortsAndKeepsInputs(t *testing.T) {
	x := map[Broker]Names{bA: {Topics: []string{"t2", "t1"}, Groups: []string{"g1"}}}
	y := map[Broker]Names{
		bA:  {Topics: []string{"t1", "t3", ""}, Groups: []string{"g0"}},
		bA2: {Topics: []string{"t9"}},
	}
	got := Merge(x, nil, y)
	want := map[Broker]Names{
		bA:  {Topics: []string{"t1", "t2", "t3"}, Groups: []string{"g0", "g1"}},
		bA2: {Topics: []string{"t9"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Merge = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(x[bA].Topics, []string{"t2", "t1"}) {
		t.Fatalf("Merge changed its input: %v", x[bA].Topics)
	}
	if m := Merge(); m == nil || len(m) != 0 {
		t.Fatalf("Merge() = %v, want an empty map", m)
	}
}

type fixed struct {
	m   map[Broker]Names
	err error
}

func (f fixed) Recall(context.Context) (map[Broker]Names, error) { return f.m, f.err }

func TestSourcesKeepWhatAnsweredAndReportTheRest(t *testing.T) {
	down := errors.New("prometheus down")
	s := Sources{
		fixed{m: map[Broker]Names{bA: {Topics: []string{"t1"}}}},
		fixed{err: down},
		fixed{m: map[Broker]Names{bA: {Groups: []string{"g1"}}}},
	}
	got, err := s.Recall(context.Background())
	if !errors.Is(err, down) {
		t.Fatalf("err = %v, want the failing source's error", err)
	}
	want := map[Broker]Names{bA: {Topics: []string{"t1"}, Groups: []string{"g1"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Recall = %v, want %v", got, want)
	}
}
