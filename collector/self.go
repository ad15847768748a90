package collector

// selfFamilies describe the exporter's last cycle and this scrape.
func selfFamilies() []*family {
	return []*family{
		{
			name: "rocketmq_exporter_last_cycle_duration_seconds", typ: gauge, prio: prioNever,
			help: "How long the last collection cycle took, in seconds.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				if !v.s.Finished.IsZero() && !v.s.Started.IsZero() {
					s.add(v.s.Duration().Seconds())
				}
			},
		},
		{
			name: "rocketmq_exporter_last_cycle_timestamp_seconds", typ: gauge, prio: prioNever,
			help: "When the last collection cycle finished, as Unix seconds.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				if !v.s.Finished.IsZero() {
					s.add(seconds(v.s.Finished))
				}
			},
		},
		{
			name: "rocketmq_exporter_snapshot_age_seconds", typ: gauge, prio: prioNever,
			help: "Age of the served snapshot at scrape time: now minus when its cycle finished, in seconds.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				if !v.s.Finished.IsZero() {
					s.add(v.now.Sub(v.s.Finished).Seconds())
				}
			},
		},
		{
			name: "rocketmq_exporter_cycle_overran", typ: gauge, prio: prioNever,
			help: "1 when the last cycle hit its deadline and brokers not finished by then are reported down, else 0.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) { s.add(boolValue(v.s.Overran)) },
		},
		{
			name: "rocketmq_exporter_tracked_entities", typ: gauge, labels: []string{"kind"}, prio: prioNever,
			help: "Entities (topics, groups, clients, …) the last snapshot tracks, by kind.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for k, n := range v.s.Entities {
					s.add(float64(n), k)
				}
			},
		},
		{
			name: "rocketmq_exporter_series_dropped", typ: gauge, labels: []string{"family"}, prio: prioNever, meta: true,
			help: "Series left out of this scrape because --max-series dropped the whole family, by family.", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for f, n := range v.dropped {
					s.add(float64(n), f)
				}
			},
		},
		{
			name: "rocketmq_exporter_series", typ: gauge, labels: []string{"family"}, prio: prioNever, meta: true,
			help: "Series this scrape served, by family (this family itself not included).", source: "exporter", replaces: "(none)",
			emit: func(v *view, s *sink) {
				for _, f := range v.servedOrder {
					s.add(float64(v.served[f]), f)
				}
			},
		},
	}
}
