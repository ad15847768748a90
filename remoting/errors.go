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
	if e.Code == CodeRequestCodeNotSupported {
		return fmt.Sprintf("rocketmq %s: request %s (code %d) is not supported by this broker version (%s: %s)",
			e.Addr, RequestName(e.RequestCode), e.RequestCode, CodeName(e.Code), strings.TrimSpace(e.Remark))
	}
	return fmt.Sprintf("rocketmq %s: request %s answered %s (%d): %s",
		e.Addr, RequestName(e.RequestCode), CodeName(e.Code), e.Code, e.Remark)
}

// IsNotSupported reports whether the broker answered
// REQUEST_CODE_NOT_SUPPORTED: its version does not know the request code
// (e.g. QUERY_TOPICS_BY_CONSUMER on 4.x).
func IsNotSupported(err error) bool { return ResponseCode(err) == CodeRequestCodeNotSupported }

// ResponseCode returns the broker's response code carried by err, or -1
// when err is not a broker answer (a transport error, a timeout).
func ResponseCode(err error) int {
	var re *ResponseError
	if errors.As(err, &re) {
		return re.Code
	}
	return -1
}

// AuthError is a request the broker refused for its credentials: ACL 2.0
// (5.3+) answers NO_PERMISSION ("check signature failed.", "username cannot
// be null.", "User:x is not found."); ACL 1.0 (4.x) answers SYSTEM_ERROR
// with the text of an AclException ("Check signature failed for
// accessKey=x", "No accessKey is configured"). It unwraps to the broker's
// ResponseError.
type AuthError struct {
	*ResponseError
	// AccessKey is the key the request was signed with; "" when the client
	// has no credentials and the request went unsigned.
	AccessKey string
	// Reason is the broker's explanation without the Java exception class
	// and stack frame 4.x appends.
	Reason string
}

func (e *AuthError) Error() string {
	who := "an unsigned request (no credentials configured)"
	if e.AccessKey != "" {
		who = fmt.Sprintf("access key %q", e.AccessKey)
	}
	return fmt.Sprintf("rocketmq %s: request %s denied by the broker's ACL for %s: %s (%s)",
		e.Addr, RequestName(e.RequestCode), who, e.Reason, CodeName(e.Code))
}

func (e *AuthError) Unwrap() error { return e.ResponseError }

// IsAuthError reports whether the broker refused the request for its
// credentials (see AuthError).
func IsAuthError(err error) bool {
	var ae *AuthError
	if errors.As(err, &ae) {
		return true
	}
	var re *ResponseError
	return errors.As(err, &re) && isAuthAnswer(re)
}

// isAuthAnswer recognises an ACL refusal among the broker's answers.
// NO_PERMISSION is what ACL 2.0 answers, but the broker also uses it when
// a topic's, group's or its own permission forbids the operation whoever
// asks ("the topic[T] pulling message is forbidden", "subscription group
// no permission, G"): those are not about credentials.
func isAuthAnswer(re *ResponseError) bool {
	switch re.Code {
	case CodeNoPermission:
		return !containsFold(re.Remark, "is forbidden", "subscription group no permission",
			"can not consume by broadcast", "not allowed", "black list")
	case CodeSystemError:
		return strings.Contains(re.Remark, "AclException") ||
			containsFold(re.Remark, "accesskey", "check signature", "authentication", "username cannot be null")
	}
	return false
}

// authError wraps re as an AuthError when it is an ACL refusal, else
// returns re.
func authError(re *ResponseError, accessKey string) error {
	if !isAuthAnswer(re) {
		return re
	}
	return &AuthError{ResponseError: re, AccessKey: accessKey, Reason: aclReason(re.Remark)}
}

// aclReason trims a 4.x remark, built by RemotingHelper.exceptionSimpleDesc
// as "<exception class>: <message>, <first stack frame>", to its message.
func aclReason(remark string) string {
	r := strings.TrimSpace(remark)
	if _, msg, ok := strings.Cut(r, "AclException: "); ok {
		r = msg
	}
	if i := strings.LastIndex(r, ", "); i >= 0 {
		frame := r[i+2:]
		if strings.HasSuffix(frame, ")") && strings.Contains(frame, ".java:") && !strings.ContainsRune(frame, ' ') {
			r = r[:i]
		}
	}
	if r == "" {
		return "no reason given"
	}
	return r
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
