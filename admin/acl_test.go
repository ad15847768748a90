package admin_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/brokeradmin"
	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// The account the ACL broker is started with: a SUPER user for ACL 2.0
// (5.x), an admin account for ACL 1.0 (4.x).
const aclUser, aclSecret = "rocketmq2", "12345678"

// aclOptions starts a broker of version with ACL on. 5.x uses ACL 2.0: the
// broker creates initAuthenticationUser as a SUPER user in its local
// (RocksDB) user store at boot, and innerClientAuthenticationCredentials
// (another SUPER user) signs what the broker itself sends to the namesrv
// and other brokers. 4.x uses ACL 1.0: aclEnable plus conf/plain_acl.yml
// under the rocketmq home dir. The namesrv enforces no ACL in either.
func aclOptions(version string) realbroker.Options {
	o := realbroker.Options{
		Version:     version,
		ClusterName: "AclCluster",
		BrokerName:  "broker-acl",
		// The harness's readiness polls must be signed too.
		Credentials: &remoting.Credentials{AccessKey: aclUser, SecretKey: aclSecret},
	}
	if strings.HasPrefix(version, "4.") {
		o.BrokerConf = []string{"aclEnable=true"}
		// No whiteRemoteAddress: a matching one would skip the signature check.
		o.ExtraFiles = map[string]string{"conf/plain_acl.yml": `globalWhiteRemoteAddresses: []
accounts:
  - accessKey: ` + aclUser + `
    secretKey: "` + aclSecret + `"
    admin: true
    defaultTopicPerm: PUB|SUB
    defaultGroupPerm: PUB|SUB
`}
		return o
	}
	o.BrokerConf = []string{
		"authenticationEnabled=true",
		"authorizationEnabled=true",
		"authenticationProvider=org.apache.rocketmq.auth.authentication.provider.DefaultAuthenticationProvider",
		"authenticationMetadataProvider=org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider",
		"authorizationProvider=org.apache.rocketmq.auth.authorization.provider.DefaultAuthorizationProvider",
		"authorizationMetadataProvider=org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider",
		`initAuthenticationUser={"username":"` + aclUser + `","password":"` + aclSecret + `"}`,
		`innerClientAuthenticationCredentials={"accessKey":"broker-inner","secretKey":"inner-secret-1"}`,
	}
	return o
}

// sendMessage is SEND_MESSAGE (RequestCode 10): the test sends one message
// so that a stat item exists for VIEW_BROKER_STATS_DATA to read.
const sendMessage = 10

func sendOne(ctx context.Context, rc *remoting.Client, broker, topic string) error {
	ext := map[string]string{
		"producerGroup": "PID_acl", "topic": topic, "defaultTopic": "TBW102", "defaultTopicQueueNums": "4",
		"queueId": "0", "sysFlag": "0", "bornTimestamp": strconv.FormatInt(time.Now().UnixMilli(), 10),
		"flag": "0", "properties": "WAIT\x01true\x02", "reconsumeTimes": "0", "unitMode": "false", "batch": "false",
	}
	_, err := rc.Call(ctx, broker, sendMessage, ext, []byte("acl"))
	return err
}

// TestACL starts a second broker of the same version with ACL enabled
// (issue: right credentials work; wrong ones give a clear authentication
// error). Right credentials read runtime info, topic config, broker-wide
// consume stats and a stat item; a wrong secret and no credentials at all
// are refused with a remoting.AuthError, whose code is the version's own:
// NO_PERMISSION for ACL 2.0, SYSTEM_ERROR (an AclException) for ACL 1.0.
func TestACL(t *testing.T) {
	needBroker(t)
	ctx := ctxT(t, 5*time.Minute)
	version := cluster.Version
	opts := aclOptions(version)
	t0 := time.Now()
	logs := make(chan string, 64)
	opts.Logf = func(f string, a ...any) {
		select {
		case logs <- fmt.Sprintf(f, a...):
		default:
		}
	}
	acl, err := realbroker.Start(ctx, opts)
	close(logs)
	for l := range logs {
		t.Log(l)
	}
	if err != nil {
		t.Fatalf("RocketMQ %s with ACL: %v", version, err)
	}
	defer acl.Stop()
	t.Logf("RocketMQ %s with ACL up in %s", version, time.Since(t0).Round(time.Millisecond))
	b := acl.BrokerAddr

	// The broker registered itself although ACL is on (the namesrv checks
	// nothing, so an unsigned client reads cluster info).
	plain := brokeradmin.New(remoting.NewClient(remoting.Options{}))
	defer plain.Remoting().Close()
	ci, err := plain.ClusterInfo(ctx, acl.NamesrvAddr)
	if err != nil {
		t.Fatalf("namesrv cluster info: %v", err)
	}
	if in := ci.Instances(); len(in) != 1 || in[0].Addr != b || in[0].BrokerName != "broker-acl" || in[0].Cluster != "AclCluster" {
		t.Fatalf("namesrv lists %+v, want broker-acl at %s", in, b)
	}

	good := brokeradmin.New(remoting.NewClient(remoting.Options{Credentials: &remoting.Credentials{AccessKey: aclUser, SecretKey: aclSecret}}))
	defer good.Remoting().Close()
	topic := fmt.Sprintf("acl_%d", time.Now().UnixNano()%1e6)
	if err := good.CreateTopic(ctx, b, admin.TopicConfig{TopicName: topic, ReadQueueNums: 1}); err != nil {
		t.Fatalf("create topic with the right credentials: %v", err)
	}
	if err := sendOne(ctx, good.Remoting(), b, topic); err != nil {
		t.Fatalf("send with the right credentials: %v", err)
	}

	// The four reads, each returning nil when the broker answered SUCCESS
	// with a body that decodes to what we expect.
	reads := []struct {
		name string
		call func(context.Context, *admin.Client) error
	}{
		{"GET_BROKER_RUNTIME_INFO", func(ctx context.Context, a *admin.Client) error {
			ri, err := a.BrokerRuntime(ctx, b)
			if err == nil && ri.Table["brokerVersionDesc"] != "V"+strings.ReplaceAll(version, ".", "_") {
				err = fmt.Errorf("brokerVersionDesc %q", ri.Table["brokerVersionDesc"])
			}
			return err
		}},
		{"GET_ALL_TOPIC_CONFIG", func(ctx context.Context, a *admin.Client) error {
			tc, err := a.AllTopicConfig(ctx, b)
			if err == nil && tc.TopicConfigTable[topic].TopicName != topic {
				err = fmt.Errorf("topic %s missing from the topic config", topic)
			}
			return err
		}},
		{"GET_BROKER_CONSUME_STATS", func(ctx context.Context, a *admin.Client) error {
			bcs, err := a.BrokerConsumeStats(ctx, b, false)
			if err == nil && bcs.BrokerAddr != b {
				err = fmt.Errorf("brokerAddr %q", bcs.BrokerAddr)
			}
			return err
		}},
		{"VIEW_BROKER_STATS_DATA", func(ctx context.Context, a *admin.Client) error {
			_, err := a.ViewBrokerStatsData(ctx, b, "TOPIC_PUT_NUMS", topic)
			return err
		}},
	}
	for _, r := range reads {
		eventually(t, 20*time.Second, r.name+" with the right credentials", func() error { return r.call(ctx, good.Client) })
	}

	// What refusals look like on this version.
	wantCode := remoting.CodeNoPermission
	if strings.HasPrefix(version, "4.") {
		wantCode = remoting.CodeSystemError
	}
	refused := []struct {
		label string
		creds *remoting.Credentials
		who   string // how the error names the identity
	}{
		{"wrong secret", &remoting.Credentials{AccessKey: aclUser, SecretKey: aclSecret + "-wrong"}, `access key "` + aclUser + `"`},
		{"no credentials", nil, "unsigned request"},
	}
	for _, rf := range refused {
		rc := remoting.NewClient(remoting.Options{Credentials: rf.creds})
		a := admin.New(rc)
		for _, r := range reads {
			err := r.call(ctx, a)
			switch {
			case err == nil:
				t.Errorf("%s: %s succeeded", rf.label, r.name)
				continue
			case !remoting.IsAuthError(err):
				t.Errorf("%s: %s: not an auth error: %v", rf.label, r.name, err)
				continue
			case remoting.ResponseCode(err) != wantCode:
				t.Errorf("%s: %s: code %s, want %s on %s: %v", rf.label, r.name,
					remoting.CodeName(remoting.ResponseCode(err)), remoting.CodeName(wantCode), version, err)
			}
			msg := err.Error()
			for _, want := range []string{r.name, "denied by the broker's ACL", rf.who} {
				if !strings.Contains(msg, want) {
					t.Errorf("%s: %s: error %q does not say %q", rf.label, r.name, msg, want)
				}
			}
			if strings.Contains(msg, ".java:") {
				t.Errorf("%s: %s: error %q carries a Java stack frame", rf.label, r.name, msg)
			}
			if r.name == "GET_BROKER_RUNTIME_INFO" {
				t.Logf("%s: %v", rf.label, err)
			}
		}
		rc.Close()
	}
}
