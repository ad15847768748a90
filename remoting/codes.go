package remoting

import "strconv"

// Request codes (RequestCode.java) of every call this project makes.
const (
	PullMessage                    = 11
	UpdateAndCreateTopic           = 17
	GetAllTopicConfig              = 21
	GetBrokerConfig                = 26
	GetBrokerRuntimeInfo           = 28
	GetAllConsumerOffset           = 43
	GetAllDelayOffset              = 45
	GetRouteInfoByTopic            = 105
	GetBrokerClusterInfo           = 106
	UpdateAndCreateSubscriptionGrp = 200
	GetAllSubscriptionGroupConfig  = 201
	GetTopicStatsInfo              = 202
	GetConsumerConnectionList      = 203
	GetProducerConnectionList      = 204
	GetAllTopicListFromNameserver  = 206
	DeleteSubscriptionGroup        = 207
	GetConsumeStats                = 208
	DeleteTopicInBroker            = 215
	DeleteTopicInNamesrv           = 216
	QueryTopicConsumeByWho         = 300
	QueryConsumeTimeSpan           = 303
	GetConsumerRunningInfo         = 307
	ViewBrokerStatsData            = 315
	GetBrokerConsumeStats          = 317
	GetAllProducerInfo             = 328
	QueryTopicsByConsumer          = 343
)

var requestNames = map[int]string{
	PullMessage:                    "PULL_MESSAGE",
	UpdateAndCreateTopic:           "UPDATE_AND_CREATE_TOPIC",
	GetAllTopicConfig:              "GET_ALL_TOPIC_CONFIG",
	GetBrokerConfig:                "GET_BROKER_CONFIG",
	GetBrokerRuntimeInfo:           "GET_BROKER_RUNTIME_INFO",
	GetAllConsumerOffset:           "GET_ALL_CONSUMER_OFFSET",
	GetAllDelayOffset:              "GET_ALL_DELAY_OFFSET",
	GetRouteInfoByTopic:            "GET_ROUTEINFO_BY_TOPIC",
	GetBrokerClusterInfo:           "GET_BROKER_CLUSTER_INFO",
	UpdateAndCreateSubscriptionGrp: "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP",
	GetAllSubscriptionGroupConfig:  "GET_ALL_SUBSCRIPTIONGROUP_CONFIG",
	GetTopicStatsInfo:              "GET_TOPIC_STATS_INFO",
	GetConsumerConnectionList:      "GET_CONSUMER_CONNECTION_LIST",
	GetProducerConnectionList:      "GET_PRODUCER_CONNECTION_LIST",
	GetAllTopicListFromNameserver:  "GET_ALL_TOPIC_LIST_FROM_NAMESERVER",
	DeleteSubscriptionGroup:        "DELETE_SUBSCRIPTIONGROUP",
	GetConsumeStats:                "GET_CONSUME_STATS",
	DeleteTopicInBroker:            "DELETE_TOPIC_IN_BROKER",
	DeleteTopicInNamesrv:           "DELETE_TOPIC_IN_NAMESRV",
	QueryTopicConsumeByWho:         "QUERY_TOPIC_CONSUME_BY_WHO",
	QueryConsumeTimeSpan:           "QUERY_CONSUME_TIME_SPAN",
	GetConsumerRunningInfo:         "GET_CONSUMER_RUNNING_INFO",
	ViewBrokerStatsData:            "VIEW_BROKER_STATS_DATA",
	GetBrokerConsumeStats:          "GET_BROKER_CONSUME_STATS",
	GetAllProducerInfo:             "GET_ALL_PRODUCER_INFO",
	QueryTopicsByConsumer:          "QUERY_TOPICS_BY_CONSUMER",
}

// RequestName names a request code, or gives its number.
func RequestName(code int) string {
	if n, ok := requestNames[code]; ok {
		return n
	}
	return strconv.Itoa(code)
}
