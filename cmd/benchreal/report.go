package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/wirecount"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// window is the cycles served after a and up to b: the requests captured
// between their end times belong to them, since the exporter makes no call
// between cycles.
type window struct{ a, b *observation }

func (w window) cycles() int { return w.b.seq - w.a.seq }

// end is the latest capture time a request of o's cycle can have: the
// exporter writes the cycle's end truncated to the millisecond, and the
// last request of a cycle is often within that millisecond of it.
func (o *observation) end() time.Time {
	if o.finished.IsZero() {
		return time.Time{} // the exporter's start: open
	}
	return o.finished.Add(time.Millisecond - 1)
}

// counted is the rise of the exporter's own counter over the window.
func (w window) counted() map[string]int {
	out := map[string]int{}
	for k, v := range w.b.rpcs {
		if d := v - w.a.rpcs[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// wire is what the capture saw the exporter send in the window, by the
// request names the exporter's counter uses.
func (w window) wire(capt *wirecount.Capture) (map[string]int, error) {
	byCode, err := capt.Requests(w.a.end(), w.b.end())
	out := map[string]int{}
	for code, n := range byCode {
		out[remoting.RequestName(code)] += n
	}
	return out, err
}

// meanTook averages the cycle times of the observations in the window.
func meanTook(obs []*observation, from, to int) time.Duration {
	var sum time.Duration
	for _, o := range obs[from+1 : to+1] {
		sum += o.took
	}
	return sum / time.Duration(to-from)
}

type column struct {
	title       string
	w           window
	took        time.Duration
	wire, count map[string]int
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// report prints one size's table: RPCs on the wire (by request, and the
// exporter's counter beside them), cycle time, series and RSS, for the
// first, the 2nd and the steady cycles; then whether wire and counter
// agreed in every cycle observed.
func report(s shape, capt *wirecount.Capture, st wirecount.Stats, obs []*observation, steadyFrom int) error {
	last := len(obs) - 1
	cols := []*column{
		{title: "first cycle", w: window{obs[0], obs[1]}, took: obs[1].took},
		{title: "2nd cycle", w: window{obs[1], obs[2]}, took: obs[2].took},
		{title: fmt.Sprintf("steady, mean of %d", obs[last].seq-obs[steadyFrom].seq), w: window{obs[steadyFrom], obs[last]}, took: meanTook(obs, steadyFrom, last)},
	}
	for _, c := range cols {
		var err error
		if c.wire, err = c.w.wire(capt); err != nil {
			return fmt.Errorf("counting %s on the wire: %w", c.title, err)
		}
		c.count = c.w.counted()
		if n := c.w.cycles(); n != 1 && !strings.HasPrefix(c.title, "steady") {
			c.title += fmt.Sprintf(" (cycles %d–%d: not seen apart)", c.w.a.seq+1, c.w.b.seq)
		}
	}
	fmt.Printf("## %d topics / %d groups\n\n", s.topics, s.groups)
	printTable(cols)
	steady := float64(total(cols[2].wire)) / float64(cols[2].w.cycles())
	fmt.Printf("\nsteady state %.1f RPCs per cycle on the wire", steady)
	if s.target > 0 {
		verdict := "meets"
		if steady > float64(s.target) {
			verdict = "MISSES"
		}
		fmt.Printf(" %s the target of ≤ %d (Java: %s)", verdict, s.target, map[int]string{100: "3,767.5", 1000: "21,811–21,868"}[s.topics])
	}
	fmt.Println(".")
	if err := agreement(capt, obs); err != nil {
		return err
	}
	o := capt.Others()
	fmt.Printf("Not counted: the %d other connections to the same ports (the consumers, the producer, the broker registering with the namesrv): "+
		"%d request frames on those opened during the capture, %d opened before it not read. tcpdump: %d packets captured, %d dropped by the kernel.\n\n",
		o.Connections, o.Requests, o.Unread, st.Captured, st.Dropped)
	return nil
}

func printTable(cols []*column) {
	fmt.Printf("| |")
	for _, c := range cols {
		fmt.Printf(" %s |", c.title)
	}
	fmt.Printf("\n|---|---|---|---|\n")
	row := func(name string, cell func(c *column) string) {
		fmt.Printf("| %s |", name)
		for _, c := range cols {
			fmt.Printf(" %s |", cell(c))
		}
		fmt.Println()
	}
	per := func(c *column, n int) string {
		if c.w.cycles() == 1 {
			return fmt.Sprint(n)
		}
		return fmt.Sprintf("%.1f", float64(n)/float64(c.w.cycles()))
	}
	row("**RPCs on the wire**", func(c *column) string { return "**" + per(c, total(c.wire)) + "**" })
	row("the exporter's counter", func(c *column) string { return per(c, total(c.count)) })
	names := map[string]bool{}
	for _, c := range cols {
		for k := range c.wire {
			names[k] = true
		}
		for k := range c.count {
			names[k] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		row("&nbsp;&nbsp;"+name, func(c *column) string {
			if c.wire[name] == c.count[name] {
				return per(c, c.wire[name])
			}
			return per(c, c.wire[name]) + " (counter " + per(c, c.count[name]) + ")"
		})
	}
	row("cycle time", func(c *column) string { return c.took.Round(time.Millisecond).String() })
	row("series served", func(c *column) string { return fmt.Sprint(c.w.b.series) })
	row("exporter RSS (peak)", func(c *column) string { return fmt.Sprintf("%.1f MiB (%.1f)", mib(c.w.b.rss), mib(c.w.b.hwm)) })
}

// agreement compares wire and counter cycle by cycle (between consecutive
// observations) and prints the verdict.
func agreement(capt *wirecount.Capture, obs []*observation) error {
	var differ []string
	for i := 1; i < len(obs); i++ {
		w := window{obs[i-1], obs[i]}
		wire, err := w.wire(capt)
		if err != nil {
			return err
		}
		count := w.counted()
		if !maps.Equal(wire, count) {
			differ = append(differ, fmt.Sprintf("cycle %d: wire %v, counter %v (failed calls: %d)", obs[i].seq, wire, count, obs[i].errors-obs[i-1].errors))
		}
	}
	// Nothing is sent between cycles: anything captured after the last
	// cycle's end says the windows are wrong.
	if after, err := capt.Requests(obs[len(obs)-1].end(), time.Time{}); err != nil || len(after) > 0 {
		differ = append(differ, fmt.Sprintf("after the last cycle's end: %v %v", after, err))
	}
	if len(differ) == 0 {
		fmt.Printf("Wire and the exporter's counter agree, request by request, in each of the %d cycles observed.\n", obs[len(obs)-1].seq)
		return nil
	}
	fmt.Printf("Wire and the exporter's counter DIFFER in %d of %d cycles:\n", len(differ), obs[len(obs)-1].seq)
	for _, d := range differ {
		fmt.Println("- " + d)
	}
	return nil
}
