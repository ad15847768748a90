package admin

// The three largest answers of a cycle (per-topic stats, the broker's
// consume stats, its topic configs) are read by hand: encoding/json
// validates a whole body before decoding it and decodes through
// reflection, which was a third of the exporter's CPU at 100k topics.
// Each ReadNormalized below is offered the normalised body first (see
// fastjson.NormalizedReader) and reports false, leaving its value as it
// was, for anything it does not recognise; encoding/json then decodes it.

// ReadNormalized reads a GET_TOPIC_STATS_INFO answer.
func (w *topicStatsWire) ReadNormalized(b []byte) bool {
	var keyBuf [128]byte
	r := tableReader{b: b, keyBuf: keyBuf[:0]}
	var table []QueueOffsets
	var tps float64
	hasTps := false
	ok := r.fields(func(name []byte) bool {
		switch string(name) {
		case "offsetTable":
			qs, ok := readQueues[QueueOffsets](&r)
			table = qs // a repeated table replaces the first, as there
			return ok
		case "topicPutTps":
			if r.null() {
				hasTps = false // encoding/json sets the pointer to nil
				return true
			}
			hasTps = true
			return floatField(&r, &tps)
		}
		return r.other(name, "offsetTable", "topicPutTps")
	})
	if !ok || !r.end() {
		return false
	}
	*w = topicStatsWire{}
	w.OffsetTable.Queues = table
	if hasTps {
		w.tps = tps
		w.TopicPutTps = &w.tps // no allocation of its own
	}
	return true
}

// ReadNormalized reads a GET_BROKER_CONSUME_STATS answer.
func (w *brokerConsumeStatsWire) ReadNormalized(b []byte) bool {
	var keyBuf [128]byte
	r := tableReader{b: b, keyBuf: keyBuf[:0]}
	var out brokerConsumeStatsWire
	listSeen := false
	ok := r.fields(func(name []byte) bool {
		switch string(name) {
		case "brokerAddr":
			return stringField(&r, &out.BrokerAddr)
		case "totalDiff":
			return intField(&r, &out.TotalDiff)
		case "consumeStatsList":
			if listSeen {
				return false // encoding/json would decode into the first
			}
			listSeen = true
			var ok bool
			out.read, ok = readGroupLists(&r)
			return ok
		}
		return r.other(name, "brokerAddr", "totalDiff", "consumeStatsList")
	})
	if !ok || !r.end() {
		return false
	}
	*w = out
	return true
}

// readGroupLists reads consumeStatsList, [{"<group>":[<ConsumeStats>,…]},…],
// into its (group, list) pairs in the answer's order.
func readGroupLists(r *tableReader) ([]groupList, bool) {
	if !r.byte('[') {
		return nil, false
	}
	if r.byte(']') {
		return nil, true
	}
	var out []groupList
	for {
		first := len(out)
		ok := r.fields(func(name []byte) bool {
			for _, p := range out[first:] {
				if p.group == string(name) {
					return false // a repeated key: the map keeps the last
				}
			}
			group := string(name)
			list, ok := readConsumeStatsList(r)
			out = append(out, groupList{group: group, list: list})
			return ok
		})
		if !ok {
			return nil, false
		}
		if r.byte(',') {
			continue
		}
		return out, r.byte(']')
	}
}

// readConsumeStatsList reads [<ConsumeStats>,…]; [] is an empty list.
func readConsumeStatsList(r *tableReader) ([]ConsumeStats, bool) {
	if !r.byte('[') {
		return nil, false
	}
	out := []ConsumeStats{}
	if r.byte(']') {
		return out, true
	}
	for {
		var cs ConsumeStats
		if !readConsumeStats(r, &cs) {
			return nil, false
		}
		out = append(out, cs)
		if r.byte(',') {
			continue
		}
		return out, r.byte(']')
	}
}

// readConsumeStats reads one group's stats on one topic, as
// ConsumeStats.UnmarshalJSON would.
func readConsumeStats(r *tableReader, cs *ConsumeStats) bool {
	var table queueTable[ConsumeOffsets, *ConsumeOffsets]
	var tps float64
	ok := r.fields(func(name []byte) bool {
		switch string(name) {
		case "consumeTps":
			return floatField(r, &tps)
		case "offsetTable":
			qs, ok := readQueues[ConsumeOffsets](r)
			table.Queues = qs
			return ok
		}
		return r.other(name, "consumeTps", "offsetTable")
	})
	if !ok {
		return false
	}
	queues, err := table.queues(consumeOffsetsOf)
	if err != nil {
		return false
	}
	*cs = ConsumeStats{ConsumeTps: tps, Queues: queues}
	return true
}

func consumeOffsetsOf(o ConsumeOffsets) MessageQueue { return o.MessageQueue }

// ReadNormalized reads a GET_ALL_TOPIC_CONFIG answer. Repeated fields
// merge as encoding/json merges them: into the same struct or map.
func (t *TopicConfigTable) ReadNormalized(b []byte) bool {
	r := tableReader{b: b}
	var out TopicConfigTable
	ok := r.fields(func(name []byte) bool {
		switch string(name) {
		case "dataVersion":
			return readDataVersion(&r, &out.DataVersion)
		case "topicConfigTable":
			if r.null() {
				out.TopicConfigTable = nil
				return true
			}
			if out.TopicConfigTable == nil {
				out.TopicConfigTable = map[string]TopicConfig{}
			}
			return readTopicConfigs(&r, out.TopicConfigTable)
		}
		return r.other(name, "dataVersion", "topicConfigTable")
	})
	if !ok || !r.end() {
		return false
	}
	*t = out
	return true
}

func readDataVersion(r *tableReader, dv *DataVersion) bool {
	if r.null() {
		return true
	}
	return r.fields(func(name []byte) bool {
		switch string(name) {
		case "counter":
			return intField(r, &dv.Counter)
		case "timestamp":
			return intField(r, &dv.Timestamp)
		}
		return r.other(name, "counter", "timestamp")
	})
}

// readTopicConfigs reads {"<topic>":<TopicConfig>,…} into m; a repeated
// topic's last config wins, read from zero.
func readTopicConfigs(r *tableReader, m map[string]TopicConfig) bool {
	if !r.byte('{') {
		return false
	}
	if r.byte('}') {
		return true
	}
	for {
		name, ok := r.str()
		if !ok || !r.byte(':') {
			return false
		}
		var tc TopicConfig
		if !r.null() && !readTopicConfig(r, &tc) {
			return false
		}
		m[name] = tc
		if r.byte(',') {
			continue
		}
		return r.byte('}')
	}
}

func readTopicConfig(r *tableReader, tc *TopicConfig) bool {
	return r.fields(func(name []byte) bool {
		switch string(name) {
		case "topicName":
			return stringField(r, &tc.TopicName)
		case "readQueueNums":
			return intField(r, &tc.ReadQueueNums)
		case "writeQueueNums":
			return intField(r, &tc.WriteQueueNums)
		case "perm":
			return intField(r, &tc.Perm)
		case "topicFilterType":
			return stringField(r, &tc.TopicFilterType)
		case "topicSysFlag":
			return intField(r, &tc.TopicSysFlag)
		case "order":
			return boolField(r, &tc.Order)
		case "attributes":
			return readAttributes(r, &tc.Attributes)
		}
		return r.other(name, "topicName", "readQueueNums", "writeQueueNums", "perm",
			"topicFilterType", "topicSysFlag", "order", "attributes")
	})
}

// readAttributes reads a map of strings: null clears it, an object adds to
// it (a null value is an empty string there).
func readAttributes(r *tableReader, m *map[string]string) bool {
	if r.null() {
		*m = nil
		return true
	}
	if !r.byte('{') {
		return false
	}
	if *m == nil {
		*m = map[string]string{}
	}
	if r.byte('}') {
		return true
	}
	for {
		k, ok := r.str()
		if !ok || !r.byte(':') {
			return false
		}
		var v string
		if !stringField(r, &v) {
			return false
		}
		(*m)[k] = v
		if r.byte(',') {
			continue
		}
		return r.byte('}')
	}
}
