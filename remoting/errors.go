package remoting

import (
	"errors"
	"fmt"
	"strings"
)

// Response codes an exporter meets (RemotingSysResponseCode, ResponseCode).
const (
	CodeSuccess                  = 0
	CodeSystemError              = 1
	CodeSystemBusy               = 2
	CodeRequestCodeNotSupported  = 3
	CodeNoPermission             = 16
	CodeTopicNotExist            = 17
	CodeSubscriptionGroupMissing = 26
	CodeInvalidParameter         = 29
	CodeConsumerNotOnline        = 206
	CodeConsumeMsgTimeout        = 207
)

var codeNames = map[int]string{
	CodeSuccess:                  "SUCCESS",
	CodeSystemError:              "SYSTEM_ERROR",
	CodeSystemBusy:               "SYSTEM_BUSY",
	CodeRequestCodeNotSupported:  "REQUEST_CODE_NOT_SUPPORTED",
	CodeNoPermission:             "NO_PERMISSION",
	CodeTopicNotExist:            "TOPIC_NOT_EXIST",
	CodeSubscriptionGroupMissing: "SUBSCRIPTION_GROUP_NOT_EXIST",
	CodeInvalidParameter:         "INVALID_PARAMETER",
	CodeConsumerNotOnline:        "CONSUMER_NOT_ONLINE",
	CodeConsumeMsgTimeout:        "CONSUME_MSG_TIMEOUT",
}

// CodeName names a response code, or gives its number.
func CodeName(code int) string {
	if n, ok := codeNames[code]; ok {
		return n
	}
	return fmt.Sprintf("CODE_%d", code)
}

// ResponseError is a well-formed answer with a non-success code.
type ResponseError struct {
	Addr        string
	RequestCode int
	Code        int
	Remark      string
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("rocketmq %s: request %s answered %s (%d): %s",
		e.Addr, RequestName(e.RequestCode), CodeName(e.Code), e.Code, e.Remark)
}

// ResponseCode returns the broker's response code carried by err, or -1
// when err is not a broker answer (a transport error, a timeout).
func ResponseCode(err error) int {
	var re *ResponseError
	if errors.As(err, &re) {
		return re.Code
	}
	return -1
}

// IsAuthError reports whether the broker refused the request for its
// credentials. ACL 1.0 and 2.0 both answer NO_PERMISSION, or SYSTEM_ERROR
// carrying the validator's message on some 4.x paths.
func IsAuthError(err error) bool {
	var re *ResponseError
	if !errors.As(err, &re) {
		return false
	}
	return re.Code == CodeNoPermission || (re.Code == CodeSystemError && containsFold(re.Remark, "accesskey", "signature", "authentication", "username"))
}

func containsFold(s string, words ...string) bool {
	low := strings.ToLower(s)
	for _, w := range words {
		if strings.Contains(low, w) {
			return true
		}
	}
	return false
}

// ErrClosed is returned for calls on a closed Client.
var ErrClosed = errors.New("remoting: client closed")
