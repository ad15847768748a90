package admin

// ReadNormalized and ReadRaw read a GET_CONSUMER_CONNECTION_LIST answer,
// asked of every online group every cycle (a few thousand answers a cycle
// at 100k topics), by hand as encoding/json would; a second connectionSet
// or subscriptionTable goes to encoding/json, which merges them.
func (cc *ConsumerConnection) ReadNormalized(b []byte) bool { return cc.decode(b, false) }

func (cc *ConsumerConnection) ReadRaw(b []byte) bool { return cc.decode(b, true) }

func (cc *ConsumerConnection) decode(b []byte, raw bool) bool {
	r := tableReader{b: b, raw: raw}
	var out ConsumerConnection
	var setSeen, tableSeen bool
	ok := r.fields(func(name []byte) bool {
		switch string(name) {
		case "connectionSet":
			if setSeen {
				return false
			}
			setSeen = true
			return readConnections(&r, &out.ConnectionSet)
		case "consumeType":
			return stringField(&r, &out.ConsumeType)
		case "messageModel":
			return stringField(&r, &out.MessageModel)
		case "consumeFromWhere":
			return stringField(&r, &out.ConsumeFromWhere)
		case "subscriptionTable":
			if tableSeen {
				return false
			}
			tableSeen = true
			return readMap(&r, &out.SubscriptionTable, readSubscription)
		}
		return r.other(name, "connectionSet", "consumeType", "messageModel", "consumeFromWhere", "subscriptionTable")
	})
	if !ok || !r.end() {
		return false
	}
	*cc = out
	return true
}

// readConnections reads [<Connection>,…] into *set; null leaves it nil.
func readConnections(r *tableReader, set *[]Connection) bool {
	if r.null() {
		return true
	}
	if !r.byte('[') {
		return false
	}
	*set = []Connection{}
	if r.byte(']') {
		return true
	}
	for {
		var c Connection
		if !r.null() && !readConnection(r, &c) {
			return false
		}
		*set = append(*set, c)
		if r.byte(',') {
			continue
		}
		return r.byte(']')
	}
}

func readConnection(r *tableReader, c *Connection) bool {
	return r.fields(func(name []byte) bool {
		switch string(name) {
		case "clientId":
			return stringField(r, &c.ClientID)
		case "clientAddr":
			return stringField(r, &c.ClientAddr)
		case "language":
			return stringField(r, &c.Language)
		case "version":
			return intField(r, &c.Version)
		}
		return r.other(name, "clientId", "clientAddr", "language", "version")
	})
}

func readSubscription(r *tableReader, s *SubscriptionData) bool {
	return r.fields(func(name []byte) bool {
		switch string(name) {
		case "topic":
			return stringField(r, &s.Topic)
		case "subString":
			return stringField(r, &s.SubString)
		case "expressionType":
			return stringField(r, &s.ExpressionType)
		}
		return r.other(name, "topic", "subString", "expressionType")
	})
}
