package check

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/app"
)

// The I5 bounds: served series stay within SeriesPerBroker per broker
// plus SeriesPerEntity per entity the brokers hold (topic, group, offset
// pair, client), plus SeriesBase for the process; at the end of a run the
// subjects its series name are at most (1+FreshSlack) times, plus 5, those
// a fresh exporter's name over the same brokers; tombstones per broker
// never exceed the topics and groups ever deleted there; the live heap at
// the end is at most twice that after cycle 3 plus HeapSlack.
//
// Measured: a two-broker run serves about 800 series, 550 of them for the
// process and the brokers and about 4.5 per entity; the bounds leave
// half as much again.
const (
	SeriesBase      = 300
	SeriesPerBroker = 200
	SeriesPerEntity = 10
	FreshSlack      = 0.10
)

// modelSize counts what series may be served for.
func modelSize(m *model) (brokers, entities int) {
	for _, b := range m.brokers {
		brokers++
		entities += len(b.topics) + len(b.groups) + len(b.pairs)
		for _, ids := range b.clients {
			entities += len(ids)
		}
		for _, ids := range b.producers {
			entities += 1 + len(ids)
		}
	}
	return brokers, entities
}

// checkBounds is I5 per cycle: the series count and the tombstones.
func (k *checker) checkBounds(sc *scrape, m *model) {
	brokers, entities := modelSize(m)
	if bound := SeriesBase + SeriesPerBroker*brokers + SeriesPerEntity*entities; len(sc.samples) > bound {
		k.fail("I5", "%d series served for %d brokers and %d entities (bound %d)", len(sc.samples), brokers, entities, bound)
		return
	}
	held := map[ref]float64{}
	for _, s := range sc.byFamily["rocketmq_exporter_tombstones"] {
		if refs := m.match(s.labels); len(refs) == 1 {
			held[refs[0]] += s.value
		}
	}
	for r, n := range held {
		if b := m.brokers[r]; n > float64(b.view.Deleted) {
			k.fail("I5", "%g tombstones held for %s, where %d topics and groups were ever deleted", n, b.view.Name, b.view.Deleted)
			return
		}
	}
}

// named lists the distinct (broker, topic, group, client) subjects the
// per-entity series of a scrape name.
func named(sc *scrape) map[string]bool {
	out := map[string]bool{}
	for _, s := range sc.samples {
		if !hasEntity(s) {
			continue
		}
		l := s.labels
		out[l["target"]+"|"+l["cluster"]+"|"+l["broker"]+"|"+l["topic"]+"|"+l["group"]+"|"+l["client_id"]+l["clientId"]] = true
	}
	return out
}

// checkFresh is I5 at the end: a fresh exporter over the same brokers
// names as many subjects (brokers, topics, groups, clients) in its
// series, give or take FreshSlack, as the one that lived through the run:
// nothing it ever saw lingers. (Series counts differ by design: rates
// appear only once a subject has been watched for the stats window.)
func (k *checker) checkFresh(m *model) {
	s := k.w.settings()
	setStateFile(&s, "") // fresh: no memory of the run
	fresh, err := app.New(s, nil)
	if err != nil {
		k.fail("I5", "a fresh exporter did not build: %v", err)
		return
	}
	defer fresh.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := 0; i <= OfflineRefresh; i++ {
		fresh.Cycle(ctx)
	}
	want, err := scrapeHandler(fresh.Handler)
	if err != nil {
		k.fail("I5", "fresh exporter: %v", err)
		return
	}
	got, err := scrapeHandler(k.w.app.Handler)
	if err != nil {
		k.fail("I5", "%v", err)
		return
	}
	n, f := named(got), named(want)
	var extra []string
	for key := range n {
		if !f[key] {
			extra = append(extra, strings.ReplaceAll(key, "|", " "))
		}
	}
	if float64(len(n)) > float64(len(f))*(1+FreshSlack)+5 {
		sort.Strings(extra)
		k.fail("I5", "after %d cycles the exporter's series name %d subjects where a fresh one's name %d (beyond it: %s)",
			k.cycle, len(n), len(f), strings.Join(extra[:min(len(extra), 5)], "; "))
	}
}
