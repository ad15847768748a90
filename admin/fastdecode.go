package admin

// The answers a cycle asks for most, or that are largest (per-topic stats,
// the broker's consume stats, topic and group configs, stat items, time
// spans, consumer offsets), are read by hand: encoding/json validates a
// whole body before decoding it and decodes through reflection, which was
// a third of the exporter's CPU at 100k topics.
// Each is offered the raw body first (ReadRaw, see fastjson.RawReader),
// then the normalised body (ReadNormalized, see fastjson.NormalizedReader);
// each reports false, leaving its value as it was, for anything it does
// not recognise, and encoding/json then decodes the normalised body. Both
// share one reader; tableReader.raw is all that tells them apart (the
// keys fastjson leaves unquoted, and checking what is skipped).

// ReadNormalized and ReadRaw read a GET_TOPIC_STATS_INFO answer.
func (w *topicStatsWire) ReadNormalized(b []byte) bool { return w.decode(b, false) }

func (w *topicStatsWire) ReadRaw(b []byte) bool { return w.decode(b, true) }

func (w *topicStatsWire) decode(b []byte, raw bool) bool {
	var keyBuf [128]byte
	r := tableReader{b: b, keyBuf: keyBuf[:0], raw: raw}
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

// ReadNormalized and ReadRaw read a GET_BROKER_CONSUME_STATS answer.
func (w *brokerConsumeStatsWire) ReadNormalized(b []byte) bool { return w.decode(b, false) }

func (w *brokerConsumeStatsWire) ReadRaw(b []byte) bool { return w.decode(b, true) }

func (w *brokerConsumeStatsWire) decode(b []byte, raw bool) bool {
	var keyBuf [128]byte
	r := tableReader{b: b, keyBuf: keyBuf[:0], raw: raw}
	out := brokerConsumeStatsWire{sieve: w.sieve}
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
			out.read, ok = readGroupLists(&r, w.sieve)
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
// into its (group, list) pairs in the answer's order, each sifted as soon
// as it is read.
func readGroupLists(r *tableReader, sieve *ConsumeSieve) ([]groupList, bool) {
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
			out = append(out, sieve.sift(groupList{group: group, list: list}))
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

// ReadNormalized and ReadRaw read a GET_ALL_TOPIC_CONFIG answer. Repeated fields
// merge as encoding/json merges them: into the same struct or map.
func (t *TopicConfigTable) ReadNormalized(b []byte) bool { return t.decode(b, false) }

func (t *TopicConfigTable) ReadRaw(b []byte) bool { return t.decode(b, true) }

func (t *TopicConfigTable) decode(b []byte, raw bool) bool {
	r := tableReader{b: b, raw: raw}
	out := TopicConfigTable{keep: t.keep}
	ok := r.fields(func(name []byte) bool {
		switch string(name) {
		case "dataVersion":
			return readDataVersion(&r, &out.DataVersion)
		case "topicConfigTable":
			return readEntries(&r, out.open, readTopicConfig, out.put)
		}
		return r.other(name, "dataVersion", "topicConfigTable")
	})
	if !ok || !r.end() {
		return false
	}
	*t = out
	return true
}

// ReadNormalized and ReadRaw read a GET_ALL_SUBSCRIPTIONGROUP_CONFIG answer.
func (t *SubscriptionGroupTable) ReadNormalized(b []byte) bool { return t.decode(b, false) }

func (t *SubscriptionGroupTable) ReadRaw(b []byte) bool { return t.decode(b, true) }

func (t *SubscriptionGroupTable) decode(b []byte, raw bool) bool {
	r := tableReader{b: b, raw: raw}
	out := SubscriptionGroupTable{keep: t.keep}
	ok := r.fields(func(name []byte) bool {
		switch string(name) {
		case "dataVersion":
			return readDataVersion(&r, &out.DataVersion)
		case "subscriptionGroupTable":
			return readEntries(&r, out.open, readGroupConfig, out.put)
		}
		return r.other(name, "dataVersion", "subscriptionGroupTable")
	})
	if !ok || !r.end() {
		return false
	}
	*t = out
	return true
}

// readDataVersion reads into dv: null leaves it, fields merge into it.
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

// readMap reads {"<key>":<value>,…} into *m as encoding/json decodes a
// map: null clears it, an object adds to it (made when nil), and a
// repeated key's last value wins, each value read from zero (null stays
// zero).
func readMap[T any](r *tableReader, m *map[string]T, read func(*tableReader, *T) bool) bool {
	return readKeyedMap(r, m, func(r *tableReader, _ string, v *T) bool { return read(r, v) })
}

// readKeyedMap is readMap for values read knowing their key.
func readKeyedMap[T any](r *tableReader, m *map[string]T, read func(*tableReader, string, *T) bool) bool {
	return readEntries(r, func(null bool) {
		switch {
		case null:
			*m = nil
		case *m == nil:
			*m = map[string]T{}
		}
	}, read, func(k string, v T) { (*m)[k] = v })
}

// readEntries is readKeyedMap for a table that files each entry itself
// (put, in the answer's order): open(true) on null, which clears the
// table, open(false) before an object's entries.
func readEntries[T any](r *tableReader, open func(null bool), read func(*tableReader, string, *T) bool, put func(string, T)) bool {
	if r.null() {
		open(true)
		return true
	}
	if !r.byte('{') {
		return false
	}
	open(false)
	if r.byte('}') {
		return true
	}
	var v, zero T // one v for every entry: read may make it escape
	for {
		k, ok := r.mapKey()
		if !ok || !r.byte(':') {
			return false
		}
		v = zero
		if !r.null() && !read(r, k, &v) {
			return false
		}
		put(k, v)
		if r.byte(',') {
			continue
		}
		return r.byte('}')
	}
}

// mapKey reads a map's key: a string, or in a raw body an integer
// fastjson left bare.
func (r *tableReader) mapKey() (string, bool) {
	if r.raw && r.pos < len(r.b) && r.b[r.pos] != '"' {
		k, ok := r.bareKey()
		return string(k), ok
	}
	return r.str()
}

func readInt64(r *tableReader, v *int64) bool { return intField(r, v) }

// readTopicConfig reads one topic's config; its name, which is its key in
// the table, and its filter type are shared rather than copied per topic.
func readTopicConfig(r *tableReader, key string, tc *TopicConfig) bool {
	return r.fields(func(name []byte) bool {
		switch string(name) {
		case "topicName":
			return internedField(r, &tc.TopicName, key)
		case "readQueueNums":
			return intField(r, &tc.ReadQueueNums)
		case "writeQueueNums":
			return intField(r, &tc.WriteQueueNums)
		case "perm":
			return intField(r, &tc.Perm)
		case "topicFilterType":
			return internedField(r, &tc.TopicFilterType, "SINGLE_TAG", "MULTI_TAG")
		case "topicSysFlag":
			return intField(r, &tc.TopicSysFlag)
		case "order":
			return boolField(r, &tc.Order)
		}
		return r.other(name, "topicName", "readQueueNums", "writeQueueNums", "perm",
			"topicFilterType", "topicSysFlag", "order")
	})
}

// readGroupConfig reads one group's config; its name, which is its key in
// the table, is shared rather than copied.
func readGroupConfig(r *tableReader, key string, g *SubscriptionGroupConfig) bool {
	return r.fields(func(name []byte) bool {
		switch string(name) {
		case "groupName":
			return internedField(r, &g.GroupName, key)
		case "consumeEnable":
			return boolField(r, &g.ConsumeEnable)
		case "consumeFromMinEnable":
			return boolField(r, &g.ConsumeFromMinEnable)
		case "consumeBroadcastEnable":
			return boolField(r, &g.ConsumeBroadcastEnable)
		case "consumeMessageOrderly":
			return boolField(r, &g.ConsumeMessageOrderly)
		case "retryQueueNums":
			return intField(r, &g.RetryQueueNums)
		case "retryMaxTimes":
			return intField(r, &g.RetryMaxTimes)
		case "brokerId":
			return intField(r, &g.BrokerID)
		case "whichBrokerWhenConsumeSlowly":
			return intField(r, &g.WhichBrokerWhenConsumeSlowly)
		case "notifyConsumerIdsChangedEnable":
			return boolField(r, &g.NotifyConsumerIdsChangedEnable)
		case "groupSysFlag":
			return intField(r, &g.GroupSysFlag)
		case "consumeTimeoutMinute":
			return intField(r, &g.ConsumeTimeoutMinute)
		}
		return r.other(name, "groupName", "consumeEnable", "consumeFromMinEnable", "consumeBroadcastEnable",
			"consumeMessageOrderly", "retryQueueNums", "retryMaxTimes", "brokerId", "whichBrokerWhenConsumeSlowly",
			"notifyConsumerIdsChangedEnable", "groupSysFlag", "consumeTimeoutMinute")
	})
}

// ReadNormalized and ReadRaw read a VIEW_BROKER_STATS_DATA answer.
func (d *BrokerStatsData) ReadNormalized(b []byte) bool { return d.decode(b, false) }

func (d *BrokerStatsData) ReadRaw(b []byte) bool { return d.decode(b, true) }

func (d *BrokerStatsData) decode(b []byte, raw bool) bool {
	r := tableReader{b: b, raw: raw}
	var out BrokerStatsData
	ok := r.fields(func(name []byte) bool {
		switch string(name) {
		case "statsMinute":
			return readSnapshot(&r, &out.StatsMinute)
		case "statsHour":
			return readSnapshot(&r, &out.StatsHour)
		case "statsDay":
			return readSnapshot(&r, &out.StatsDay)
		}
		return r.other(name, "statsMinute", "statsHour", "statsDay")
	})
	if !ok || !r.end() {
		return false
	}
	*d = out
	return true
}

// readSnapshot reads into s: null leaves it, fields merge into it.
func readSnapshot(r *tableReader, s *StatsSnapshot) bool {
	if r.null() {
		return true
	}
	return r.fields(func(name []byte) bool {
		switch string(name) {
		case "sum":
			return intField(r, &s.Sum)
		case "tps":
			return floatField(r, &s.Tps)
		case "avgpt":
			return floatField(r, &s.Avgpt)
		}
		return r.other(name, "sum", "tps", "avgpt")
	})
}

// ReadNormalized and ReadRaw read a QUERY_CONSUME_TIME_SPAN answer.
func (w *timeSpanWire) ReadNormalized(b []byte) bool { return w.decode(b, false) }

func (w *timeSpanWire) ReadRaw(b []byte) bool { return w.decode(b, true) }

func (w *timeSpanWire) decode(b []byte, raw bool) bool {
	r := tableReader{b: b, raw: raw}
	var out timeSpanWire
	seen := false
	ok := r.fields(func(name []byte) bool {
		if string(name) != "consumeTimeSpanSet" {
			return r.other(name, "consumeTimeSpanSet")
		}
		if seen || !r.byte('[') {
			return false // a second list would be decoded into the first
		}
		seen = true
		out.ConsumeTimeSpanSet = []QueueTimeSpan{}
		if r.byte(']') {
			return true
		}
		for {
			var s QueueTimeSpan
			if !r.null() && !readTimeSpan(&r, &s) {
				return false
			}
			out.ConsumeTimeSpanSet = append(out.ConsumeTimeSpanSet, s)
			if r.byte(',') {
				continue
			}
			return r.byte(']')
		}
	})
	if !ok || !r.end() {
		return false
	}
	*w = out
	return true
}

func readTimeSpan(r *tableReader, s *QueueTimeSpan) bool {
	return r.fields(func(name []byte) bool {
		switch string(name) {
		case "messageQueue":
			return r.null() || readMessageQueue(r, &s.MessageQueue)
		case "minTimeStamp":
			return intField(r, &s.MinTimeStamp)
		case "maxTimeStamp":
			return intField(r, &s.MaxTimeStamp)
		case "consumeTimeStamp":
			return intField(r, &s.ConsumeTimeStamp)
		case "delayTime":
			return intField(r, &s.DelayTime)
		}
		return r.other(name, "messageQueue", "minTimeStamp", "maxTimeStamp", "consumeTimeStamp", "delayTime")
	})
}

func readMessageQueue(r *tableReader, mq *MessageQueue) bool {
	return r.fields(func(name []byte) bool {
		switch string(name) {
		case "topic":
			return stringField(r, &mq.Topic)
		case "brokerName":
			return stringField(r, &mq.BrokerName)
		case "queueId":
			return intField(r, &mq.QueueID)
		}
		return r.other(name, "topic", "brokerName", "queueId")
	})
}

// ReadNormalized and ReadRaw read a GET_ALL_CONSUMER_OFFSET answer.
func (w *consumerOffsetWire) ReadNormalized(b []byte) bool { return w.decode(b, false) }

func (w *consumerOffsetWire) ReadRaw(b []byte) bool { return w.decode(b, true) }

func (w *consumerOffsetWire) decode(b []byte, raw bool) bool {
	r := tableReader{b: b, raw: raw}
	var out consumerOffsetWire
	ok := r.fields(func(name []byte) bool {
		if string(name) != "offsetTable" {
			return r.other(name, "offsetTable")
		}
		return readMap(&r, &out.OffsetTable, func(r *tableReader, m *map[string]int64) bool {
			return readMap(r, m, readInt64)
		})
	})
	if !ok || !r.end() {
		return false
	}
	*w = out
	return true
}
