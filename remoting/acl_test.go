package remoting

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestSignatureMatchesJava checks the signer against values the Java
// AclClientRPCHook (rocketmq-acl 4.9.7) produced for the same request:
// request code 202, extFields topic=Tüpic, consumerGroup=G1, isOrder=false,
// body "body-é", credentials rocketmq2/12345678, without and with a
// security token "tok-é".
func TestSignatureMatchesJava(t *testing.T) {
	cases := []struct {
		token, want string
	}{
		{"", "rSk9qVJYS1gjwo2e6rIF0DIYAO4="},
		{"tok-é", "6ml7IL8VvshmLxqoIbWaCTZrAh0="},
	}
	for _, c := range cases {
		cmd := &Command{Code: 202, ExtFields: map[string]string{"topic": "Tüpic", "consumerGroup": "G1", "isOrder": "false"}, Body: []byte("body-é")}
		(&Credentials{AccessKey: "rocketmq2", SecretKey: "12345678", SecurityToken: c.token}).sign(cmd)
		if got := cmd.ExtFields["Signature"]; got != c.want {
			t.Errorf("token %q: signature %s, Java computed %s", c.token, got, c.want)
		}
		if _, has := cmd.ExtFields["SecurityToken"]; has != (c.token != "") {
			t.Errorf("token %q: SecurityToken field present = %v", c.token, has)
		}
	}
}

// TestAuthErrors classifies the refusals real brokers answer: ACL 2.0
// (5.x) with NO_PERMISSION, ACL 1.0 (4.9.x) with SYSTEM_ERROR carrying the
// AclException text. The authentication remarks are verbatim answers of
// 5.3.3 and 4.9.7 brokers (admin/acl_test.go); the authorization one and the
// broker's own permission refusals follow the 5.3.3 source's formats.
func TestAuthErrors(t *testing.T) {
	cases := []struct {
		code          int
		remark        string
		creds         *Credentials
		auth          bool
		reason, whose string
	}{
		{CodeNoPermission, "check signature failed.", &Credentials{AccessKey: "rocketmq2", SecretKey: "bad"}, true,
			"check signature failed.", `access key "rocketmq2"`},
		{CodeNoPermission, "username cannot be null.", nil, true, "username cannot be null.", "unsigned request"},
		{CodeSystemError, "org.apache.rocketmq.acl.common.AclException: Check signature failed for accessKey=rocketmq2, org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:683)",
			&Credentials{AccessKey: "rocketmq2", SecretKey: "bad"}, true, "Check signature failed for accessKey=rocketmq2", `access key "rocketmq2"`},
		{CodeSystemError, "org.apache.rocketmq.acl.common.AclException: No accessKey is configured, org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:663)",
			nil, true, "No accessKey is configured", "unsigned request"},
		{CodeSystemError, "The stats TOPIC_PUT_NUMS x not exist", nil, false, "", ""},
		// The broker's own permission refusals, not about credentials.
		{CodeNoPermission, "the topic[T] pulling message is forbidden", &Credentials{AccessKey: "rocketmq2", SecretKey: "s"}, false, "", ""},
		{CodeNoPermission, "subscription group no permission, G", nil, false, "", ""},
		// ACL 2.0 authorization (5.x): authenticated, but not allowed.
		{CodeNoPermission, "User:u has no permission to access Topic:T from 127.0.0.1, no matched policies.", &Credentials{AccessKey: "u", SecretKey: "s"}, true,
			"User:u has no permission to access Topic:T from 127.0.0.1, no matched policies.", `access key "u"`},
		{CodeTopicNotExist, "No topic route info in name server for the topic: x", nil, false, "", ""},
	}
	for _, c := range cases {
		p := newPeer(t, func(req *Command, w func([]byte)) { w(reply(req, c.code, c.remark, nil)) })
		cl := NewClient(Options{Credentials: c.creds})
		_, err := cl.Call(context.Background(), p.addr(), GetBrokerRuntimeInfo, nil, nil)
		cl.Close()
		if IsAuthError(err) != c.auth {
			t.Errorf("%q: IsAuthError = %v, want %v (%v)", c.remark, !c.auth, c.auth, err)
			continue
		}
		if ResponseCode(err) != c.code {
			t.Errorf("%q: ResponseCode = %d, want %d", c.remark, ResponseCode(err), c.code)
		}
		var ae *AuthError
		if errors.As(err, &ae) != c.auth {
			t.Errorf("%q: *AuthError %v, want %v", c.remark, !c.auth, c.auth)
			continue
		}
		if !c.auth {
			continue
		}
		if ae.Reason != c.reason {
			t.Errorf("reason %q, want %q", ae.Reason, c.reason)
		}
		msg := err.Error()
		for _, want := range []string{"GET_BROKER_RUNTIME_INFO", "denied by the broker's ACL", c.whose, c.reason, CodeName(c.code)} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q lacks %q", msg, want)
			}
		}
		if strings.Contains(msg, ".java:") {
			t.Errorf("error %q keeps the Java stack frame", msg)
		}
	}
}
