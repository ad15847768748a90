package runtimeinfo

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFormats(t *testing.T) {
	info := Parse(map[string]string{
		"putTps":                   "12.5  ",
		"getTotalTps":              "1.0 2.0 3.5",
		"timerEnqueueTps":          "0.0",
		"putMessageDistributeTime": "[<=0ms]:3 [0~10ms]:5 [10~50ms]:1 [500ms~1s]:2 [10s~]:1 ",
		"commitLogDirCapacity":     "Total : 47.1 GiB, Free : 30.5 GiB.",
		"remainHowManyDataToFlush": "1.5 MiB",
		"scheduleMessageOffset_3":  "10,25",
		"scheduleMessageOffset_1":  "7,7",
		"brokerVersionDesc":        "V5_3_3",
		"bootTimestamp":            "1795628240357",
		"commitLogMinOffset":       "-1",
		"weird":                    "not a number",
	})
	if w := info.TPS["putTps"]; !w.Has[0] || w.Has[1] || w.Has[2] || w.Sec10 != 12.5 {
		t.Errorf("putTps with empty windows: %+v", w)
	}
	if w := info.TPS["getTotalTps"]; w.Sec10 != 1 || w.Sec60 != 2 || w.Sec600 != 3.5 {
		t.Errorf("getTotalTps: %+v", w)
	}
	if v, ok := info.Value("timerEnqueueTps"); !ok || v != 0 {
		t.Errorf("single-window tps kept as a value: %v %v", v, ok)
	}
	want := []struct {
		label string
		upper float64
		count float64
	}{{"<=0ms", 0, 3}, {"0~10ms", 0.01, 5}, {"10~50ms", 0.05, 1}, {"500ms~1s", 1, 2}, {"10s~", math.Inf(1), 1}}
	if len(info.PutLatency) != len(want) {
		t.Fatalf("distribution: %+v", info.PutLatency)
	}
	for i, w := range want {
		b := info.PutLatency[i]
		if b.Label != w.label || b.UpperSeconds != w.upper || b.Count != w.count {
			t.Errorf("bucket %d = %+v, want %+v", i, b, w)
		}
	}
	if info.CommitLogDirTotalBytes != 47.1*(1<<30) || info.CommitLogDirFreeBytes != 30.5*(1<<30) {
		t.Errorf("capacity %v / %v", info.CommitLogDirTotalBytes, info.CommitLogDirFreeBytes)
	}
	if info.Sizes["remainHowManyDataToFlush"] != 1.5*(1<<20) {
		t.Errorf("flush size %v", info.Sizes["remainHowManyDataToFlush"])
	}
	if len(info.DelayLevels) != 2 || info.DelayLevels[0].Level != 1 || info.DelayLevels[1].Lag() != 15 {
		t.Errorf("delay levels %+v", info.DelayLevels)
	}
	if info.Strings["brokerVersionDesc"] != "V5_3_3" {
		t.Errorf("version %q", info.Strings["brokerVersionDesc"])
	}
	if v, _ := info.Value("commitLogMinOffset"); v != -1 {
		t.Errorf("min offset %v", v)
	}
	if _, ok := info.Value("weird"); ok {
		t.Error("a non-number became a value")
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]float64{"0 B": 0, "12.5 KiB": 12.5 * 1024, "3GiB": 3 << 30, "42": 42} {
		if got, ok := ParseSize(in); !ok || got != want {
			t.Errorf("ParseSize(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "MiB", "1 parsec", "x1"} {
		if _, ok := ParseSize(in); ok {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

// TestRecordedTables parses the runtime info recorded from each real
// broker version: the keys every version sends must come out as figures.
func TestRecordedTables(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "fixtures", "*", "GET_BROKER_RUNTIME_INFO.json"))
	if len(files) == 0 {
		t.Fatal("no GET_BROKER_RUNTIME_INFO under testdata/fixtures") // checked in: a missing one is a broken tree
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var kv struct {
			Table map[string]string `json:"table"`
		}
		if err := json.Unmarshal(b, &kv); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		info := Parse(kv.Table)
		for _, k := range []string{"bootTimestamp", "commitLogMaxOffset", "putMessageTimesTotal", "sendThreadPoolQueueSize", "commitLogDiskRatio"} {
			if _, ok := info.Value(k); !ok {
				t.Errorf("%s: %s not parsed", f, k)
			}
		}
		if _, ok := info.TPS["putTps"]; !ok {
			t.Errorf("%s: putTps not parsed as windows", f)
		}
		if !strings.HasPrefix(info.Strings["brokerVersionDesc"], "V") {
			t.Errorf("%s: version %q", f, info.Strings["brokerVersionDesc"])
		}
	}
}
