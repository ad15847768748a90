package admin

import (
	"encoding/json"
	"strconv"
)

// queueTable is an offsetTable: queue figures keyed by MessageQueue, one
// key per queue of every answer. encoding/json spends half a dozen
// allocations on each (unquoting the key, a reflect.Value, a map entry), so
// the form brokers write (fastjson's keys, flat objects of integers) is
// read by hand into Queues; anything else goes to
// encoding/json into ByKey, whose keys the caller parses as it always did,
// so what fails, fails as it did.
type queueTable[T any, P queueEntry[T]] struct {
	Queues []T // read by hand, or
	ByKey  map[string]T
}

// queueEntry is what queueTable needs of a queue's figures.
type queueEntry[T any] interface {
	*T
	setQueue(MessageQueue)
	// setField stores an integer field by its JSON name; false for a name
	// that is not one of T's figures.
	setField(name []byte, v int64) bool
}

func (t *queueTable[T, P]) UnmarshalJSON(b []byte) error {
	if qs, ok := readQueueTable[T, P](b); ok {
		t.Queues, t.ByKey = qs, nil
		return nil
	}
	t.Queues, t.ByKey = nil, nil
	return json.Unmarshal(b, &t.ByKey)
}

// queues returns the table's queues sorted, with one copy of their names;
// mq reads a queue's key (a closure of the caller's concrete type, so no
// queue escapes to the heap through a generic method call).
func (t *queueTable[T, P]) queues(mq func(T) MessageQueue) ([]T, error) {
	qs := t.Queues
	if qs == nil {
		qs = []T{} // never nil, as before: a table of no queues is empty
	}
	if t.ByKey != nil {
		qs = make([]T, 0, len(t.ByKey))
		for k, v := range t.ByKey {
			q, err := parseMessageQueue(k)
			if err != nil {
				return nil, err
			}
			P(&v).setQueue(q)
			qs = append(qs, v)
		}
	}
	if t.ByKey != nil { // read by hand, the names are shared already
		var names queueNames
		for i := range qs {
			P(&qs[i]).setQueue(names.share(mq(qs[i])))
		}
	}
	sortQueues(qs, mq)
	if t.ByKey == nil {
		qs = lastOfEach(qs, mq)
	}
	return qs, nil
}

// lastOfEach keeps, of entries for one queue (stably sorted), the last in
// the answer: what decoding them into a map would keep.
func lastOfEach[T any](qs []T, mq func(T) MessageQueue) []T {
	out := qs[:0]
	for i, q := range qs {
		if i+1 < len(qs) && mq(qs[i+1]) == mq(q) {
			continue
		}
		out = append(out, q)
	}
	return out
}

// readQueueTable reads {"<key>":{"<field>":<int>,…},…} in the answer's
// order. ok is false for anything else.
func readQueueTable[T any, P queueEntry[T]](b []byte) (qs []T, ok bool) {
	var keyBuf [128]byte // a MessageQueue key fits
	r := tableReader{b: b, keyBuf: keyBuf[:0]}
	qs, ok = readQueues[T, P](&r)
	return qs, ok && r.end()
}

// readQueues reads an offset table at r's position, as readQueueTable.
func readQueues[T any, P queueEntry[T]](r *tableReader) (qs []T, ok bool) {
	if !r.byte('{') {
		return nil, false
	}
	if r.byte('}') {
		return []T{}, true
	}
	qs = make([]T, 0, 8) // brokers default to 8 queues a topic
	for {
		mq, ok := r.queueKey()
		if !ok || !r.byte(':') {
			return nil, false
		}
		var zero T
		qs = append(qs, zero)
		q := &qs[len(qs)-1] // filled in place: a local T would escape
		if !readFigures[T, P](r, q) {
			return nil, false
		}
		P(q).setQueue(mq)
		if r.byte(',') {
			continue
		}
		return qs, r.byte('}')
	}
}

// readFigures reads one queue's object of integer figures into q.
func readFigures[T any, P queueEntry[T]](r *tableReader, q *T) bool {
	return r.fields(func(name []byte) bool {
		v, ok := r.int64()
		return ok && P(q).setField(name, v)
	})
}

// tableReader walks normalised JSON, which has no whitespace.
type tableReader struct {
	b      []byte
	pos    int
	keyBuf []byte
	// the names of the last queue key read, shared by the next ones
	topic, broker string
	// raw: b is a body as fastjson wrote it, not normalised: queue keys
	// are raw objects and integer keys are bare
	raw bool
}

func (r *tableReader) byte(c byte) bool {
	if r.pos < len(r.b) && r.b[r.pos] == c {
		r.pos++
		return true
	}
	return false
}

func (r *tableReader) end() bool { return r.pos == len(r.b) }

// plainString reads a string with no escapes and no bytes outside
// printable ASCII (a field name).
func (r *tableReader) plainString() ([]byte, bool) {
	if !r.byte('"') {
		return nil, false
	}
	for i := r.pos; i < len(r.b); i++ {
		switch c := r.b[i]; {
		case c == '"':
			s := r.b[r.pos:i]
			r.pos = i + 1
			return s, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
	}
	return nil, false
}

// queueKey reads a key holding a MessageQueue's JSON text: its only
// escapes are \" and \\, undone into keyBuf (kept for the next key), then
// read as the object form. A key without escapes is read in place.
func (r *tableReader) queueKey() (MessageQueue, bool) {
	if r.raw {
		return r.rawQueueKey()
	}
	if !r.byte('"') {
		return MessageQueue{}, false
	}
	start, escaped := r.pos, false
	r.keyBuf = r.keyBuf[:0]
	for i := r.pos; i < len(r.b); i++ {
		switch c := r.b[i]; c {
		case '"':
			r.pos = i + 1
			if !escaped {
				return r.messageQueue(r.b[start:i])
			}
			return r.messageQueue(r.keyBuf)
		case '\\':
			if i+1 >= len(r.b) || (r.b[i+1] != '"' && r.b[i+1] != '\\') {
				return MessageQueue{}, false
			}
			if !escaped {
				r.keyBuf, escaped = append(r.keyBuf, r.b[start:i]...), true
			}
			i++
			r.keyBuf = append(r.keyBuf, r.b[i])
		default:
			if escaped {
				r.keyBuf = append(r.keyBuf, c)
			}
		}
	}
	return MessageQueue{}, false
}

// rawQueueKey reads a queue key fastjson wrote as an object: Normalize
// would quote its text as it is when it holds only plain strings and
// integers, the one form messageQueue reads.
func (r *tableReader) rawQueueKey() (MessageQueue, bool) {
	if !r.byte('{') {
		return MessageQueue{}, false
	}
	start, inString := r.pos-1, false
	for i := r.pos; i < len(r.b); i++ {
		switch c := r.b[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' || c < 0x20 || (!inString && (c == '{' || c == '[')):
			return MessageQueue{}, false
		case c == '}' && !inString:
			r.pos = i + 1
			return r.messageQueue(r.b[start:r.pos])
		}
	}
	return MessageQueue{}, false
}

// messageQueue reads a key's text; its names are copied only when they
// differ from the previous key's (a table's keys share them).
func (r *tableReader) messageQueue(key []byte) (MessageQueue, bool) {
	broker, topic, id, ok := messageQueueFields(key)
	if !ok {
		return MessageQueue{}, false
	}
	if string(broker) != r.broker {
		r.broker = string(broker)
	}
	if string(topic) != r.topic {
		r.topic = string(topic)
	}
	return MessageQueue{Topic: r.topic, BrokerName: r.broker, QueueID: id}, true
}

// int64 reads a JSON integer without fraction or exponent.
func (r *tableReader) int64() (int64, bool) {
	start := r.pos
	r.byte('-')
	for r.pos < len(r.b) && r.b[r.pos] >= '0' && r.b[r.pos] <= '9' {
		r.pos++
	}
	lit := string(r.b[start:r.pos])
	if !plainInt(lit) {
		return 0, false
	}
	v, err := strconv.ParseInt(lit, 10, 64)
	return v, err == nil
}

func (o *QueueOffsets) setQueue(mq MessageQueue) { o.MessageQueue = mq }
func (o *QueueOffsets) setField(name []byte, v int64) bool {
	switch string(name) {
	case "minOffset":
		o.MinOffset = v
	case "maxOffset":
		o.MaxOffset = v
	case "lastUpdateTimestamp":
		o.LastUpdateTimestamp = v
	default:
		return false
	}
	return true
}

func (o *ConsumeOffsets) setQueue(mq MessageQueue) { o.MessageQueue = mq }
func (o *ConsumeOffsets) setField(name []byte, v int64) bool {
	switch string(name) {
	case "brokerOffset":
		o.BrokerOffset = v
	case "consumerOffset":
		o.ConsumerOffset = v
	case "pullOffset":
		o.PullOffset = v
	case "lastTimestamp":
		o.LastTimestamp = v
	default:
		return false
	}
	return true
}
