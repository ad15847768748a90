// Package runtimeinfo parses the broker's GET_BROKER_RUNTIME_INFO table,
// key by key. Every value arrives as a string, formats differ between 4.x
// and 5.x, and keys come and go between versions, so a missing or odd
// value only loses that one figure.
package runtimeinfo

import (
	"sort"
	"strconv"
	"strings"
)

// Info is the parsed table.
type Info struct {
	// Values holds every key whose value is a plain number, as is.
	Values map[string]float64
	// TPS holds the three-window rates ("10s 60s 600s") by key, e.g. putTps.
	// A window the broker left empty (right after boot) is absent.
	TPS map[string]Windows
	// PutLatency is the put-latency distribution of the broker's current
	// minute, in the broker's bucket order.
	PutLatency []LatencyBucket
	// CommitLogDirTotalBytes and CommitLogDirFreeBytes come from
	// "Total : X, Free : Y."; negative when absent.
	CommitLogDirTotalBytes, CommitLogDirFreeBytes float64
	// Sizes holds human-readable sizes ("1.2 MiB") converted to bytes.
	Sizes map[string]float64
	// DelayLevels holds scheduleMessageOffset_<level> = delayOffset,maxOffset.
	DelayLevels []DelayLevel
	// Strings holds the non-numeric values worth keeping (version, runtime).
	Strings map[string]string
}

// Windows are the rates over the broker's 10 s, 60 s and 600 s windows.
type Windows struct {
	Has                  [3]bool
	Sec10, Sec60, Sec600 float64
}

// LatencyBucket is one range of putMessageDistributeTime.
type LatencyBucket struct {
	Label string // the broker's own label, e.g. "0~10ms", "<=0ms", "10s~"
	// UpperSeconds is the bucket's upper bound; +Inf for the last.
	UpperSeconds float64
	Count        float64
}

// DelayLevel is the schedule service's progress for one delay level.
type DelayLevel struct {
	Level                  int
	DelayOffset, MaxOffset float64
}

// Lag is the messages of this level not yet delivered.
func (d DelayLevel) Lag() float64 { return max(0, d.MaxOffset-d.DelayOffset) }

var keptStrings = map[string]bool{"brokerVersionDesc": true, "brokerVersion": true, "runtime": true, "brokerActive": true}

// sizeKeys are values the broker prints human-readable.
var sizeKeys = map[string]bool{"remainHowManyDataToFlush": true, "remainHowManyDataToCommit": true}

// Parse turns the raw table into Info. It never fails: what it cannot read
// it leaves out.
func Parse(table map[string]string) Info {
	info := Info{Values: map[string]float64{}, TPS: map[string]Windows{}, Sizes: map[string]float64{},
		Strings: map[string]string{}, CommitLogDirTotalBytes: -1, CommitLogDirFreeBytes: -1}
	for k, v := range table {
		v = strings.TrimSpace(v)
		switch {
		case keptStrings[k]:
			info.Strings[k] = v
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				info.Values[k] = f
			}
		case strings.HasSuffix(k, "Tps") && strings.Contains(table[k], " "):
			info.TPS[k] = parseWindows(table[k])
		case k == "putMessageDistributeTime":
			info.PutLatency = parseDistribution(v)
		case k == "commitLogDirCapacity":
			info.CommitLogDirTotalBytes, info.CommitLogDirFreeBytes = parseCapacity(v)
		case sizeKeys[k]:
			if b, ok := ParseSize(v); ok {
				info.Sizes[k] = b
			}
		case strings.HasPrefix(k, "scheduleMessageOffset_"):
			if d, ok := parseDelay(k, v); ok {
				info.DelayLevels = append(info.DelayLevels, d)
			}
		default:
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				info.Values[k] = f
			}
		}
	}
	sort.Slice(info.DelayLevels, func(i, j int) bool { return info.DelayLevels[i].Level < info.DelayLevels[j].Level })
	return info
}

// Value returns a numeric key and whether it was there.
func (i Info) Value(key string) (float64, bool) {
	v, ok := i.Values[key]
	return v, ok
}

// FirstTPS returns the rates of the first key present, for keys renamed across
// versions (getTransferedTps in 4.x, getTransferredTps in 5.x).
func (i Info) FirstTPS(keys ...string) (Windows, bool) {
	for _, k := range keys {
		if w, ok := i.TPS[k]; ok {
			return w, true
		}
	}
	return Windows{}, false
}

// parseWindows reads "a b c": parts may be empty right after boot.
func parseWindows(s string) Windows {
	var w Windows
	parts := strings.Split(s, " ")
	dst := []*float64{&w.Sec10, &w.Sec60, &w.Sec600}
	for i := 0; i < len(parts) && i < 3; i++ {
		if f, err := strconv.ParseFloat(strings.TrimSpace(parts[i]), 64); err == nil {
			*dst[i] = f
			w.Has[i] = true
		}
	}
	return w
}

// parseDistribution reads "[<=0ms]:n [0~10ms]:n … [10s~]:n ".
func parseDistribution(s string) []LatencyBucket {
	var out []LatencyBucket
	for _, field := range strings.Fields(s) {
		label, count, ok := strings.Cut(field, "]:")
		if !ok || !strings.HasPrefix(label, "[") {
			continue
		}
		label = label[1:]
		n, err := strconv.ParseFloat(count, 64)
		if err != nil {
			continue
		}
		out = append(out, LatencyBucket{Label: label, UpperSeconds: upperBound(label), Count: n})
	}
	return out
}

// upperBound reads the upper end of "<=0ms", "0~10ms", "500ms~1s", "10s~".
func upperBound(label string) float64 {
	label = strings.TrimPrefix(label, "<=")
	_, hi, ranged := strings.Cut(label, "~")
	if !ranged {
		hi = label
	}
	if hi == "" {
		return inf
	}
	return durationSeconds(hi)
}

var inf = func() float64 { f, _ := strconv.ParseFloat("+Inf", 64); return f }()

func durationSeconds(s string) float64 {
	switch {
	case strings.HasSuffix(s, "ms"):
		f, _ := strconv.ParseFloat(strings.TrimSuffix(s, "ms"), 64)
		return f / 1000
	case strings.HasSuffix(s, "s"):
		f, _ := strconv.ParseFloat(strings.TrimSuffix(s, "s"), 64)
		return f
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return inf
	}
	return f / 1000
}

// parseCapacity reads "Total : 47.1 GiB, Free : 30.2 GiB.".
func parseCapacity(s string) (total, free float64) {
	total, free = -1, -1
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		b, ok := ParseSize(strings.TrimSpace(val))
		if !ok {
			continue
		}
		switch strings.TrimSpace(name) {
		case "Total":
			total = b
		case "Free":
			free = b
		}
	}
	return total, free
}

var units = map[string]float64{"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40, "PiB": 1 << 50,
	"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}

// ParseSize reads a human-readable size ("12.5 KiB", "0 B", "3.2GiB") or a
// plain number of bytes.
func ParseSize(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == '-') {
		i++
	}
	num, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, false
	}
	unit := strings.TrimSpace(s[i:])
	if unit == "" {
		return num, true
	}
	m, ok := units[unit]
	if !ok {
		return 0, false
	}
	return num * m, true
}

func parseDelay(key, v string) (DelayLevel, bool) {
	level, err := strconv.Atoi(strings.TrimPrefix(key, "scheduleMessageOffset_"))
	if err != nil {
		return DelayLevel{}, false
	}
	a, b, ok := strings.Cut(v, ",")
	if !ok {
		return DelayLevel{}, false
	}
	off, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	maxOff, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err1 != nil || err2 != nil {
		return DelayLevel{}, false
	}
	return DelayLevel{Level: level, DelayOffset: off, MaxOffset: maxOff}, true
}
