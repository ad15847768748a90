package app

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestUnreachableNamesrv: the exporter keeps running and serves
// rocketmq_up 0 for a target nobody answers for.
func TestUnreachableNamesrv(t *testing.T) {
	s := Defaults()
	s.Namesrvs = []string{"127.0.0.1:1;127.0.0.1:2"}
	s.Timeout = 300 * time.Millisecond
	a, err := New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	snap := a.Cycle(context.Background())
	if len(snap.Targets) != 1 || snap.Targets[0].Up || !strings.Contains(snap.Targets[0].Err, "127.0.0.1:2") {
		t.Fatalf("target %+v: want down, with both namesrvs tried", snap.Targets[0])
	}
	rr := httptest.NewRecorder()
	a.Handler.ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	body := rr.Body.String()
	for _, want := range []string{`rocketmq_up{broker="",broker_id="",cluster=""} 0`, `rocketmq_namesrv_up{namesrv="127.0.0.1:1"} 0`,
		`rocketmq_namesrv_up{namesrv="127.0.0.1:2"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	rr = httptest.NewRecorder()
	a.Handler.ServeHTTP(rr, httptest.NewRequest("GET", "/readyz", nil))
	if rr.Code != 200 {
		t.Errorf("/readyz after a completed (failed) cycle: %d", rr.Code)
	}
}

func TestParseTargets(t *testing.T) {
	got, err := ParseTargets([]string{"a:1;b:2", "c:3,d:4", " e:5 "})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || len(got[0].Namesrvs) != 2 || got[1].Namesrvs[1] != "d:4" || got[2].Namesrvs[0] != "e:5" {
		t.Fatalf("got %v", got)
	}
	for _, bad := range [][]string{nil, {";"}, {"nohost"}} {
		if _, err := ParseTargets(bad); err == nil {
			t.Errorf("ParseTargets(%q) accepted", bad)
		}
	}
}
