package realbroker

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
)

// A broker started WithACL enforces the access control of its version:
// ACL 1.0 on 4.x (aclEnable=true and the accounts of conf/plain_acl.yml,
// read at start), ACL 2.0 on 5.x (authentication and authorization with
// the broker's own user store, filled by mqadmin createUser/createAcl).
// The namesrv enforces nothing in either: cluster info stays unsigned.

// ACLAdmin is the account with every right on a broker started WithACL:
// a SUPER user on 5.x, an admin account with PUB|SUB on everything on 4.x.
// The harness's polls and mqadmin (through conf/tools.yml) sign with it.
var ACLAdmin = remoting.Credentials{AccessKey: "rocketmq2", SecretKey: "12345678"}

// aclInner signs what a 5.x broker sends to the namesrv and to itself.
var aclInner = remoting.Credentials{AccessKey: "broker-inner", SecretKey: "inner-secret-1"}

// PlainAccount is one account of ACL 1.0's conf/plain_acl.yml (4.x).
// Perms are PUB, SUB, PUB|SUB or DENY; TopicPerms and GroupPerms are
// "name=perm" entries overriding the defaults.
type PlainAccount struct {
	AccessKey, SecretKey               string
	Admin                              bool
	DefaultTopicPerm, DefaultGroupPerm string
	TopicPerms, GroupPerms             []string
}

// ACLGrant is one ACL 2.0 policy of a user (5.x), allowed: resources such
// as "Cluster:DefaultCluster", "Topic:*", "Group:GID_" + "*", and actions
// such as Get, Pub, Sub.
type ACLGrant struct {
	Resources, Actions []string
}

// WithACL returns opts with ACL on for the broker of opts' version, the
// harness signing as ACLAdmin. accounts are written to plain_acl.yml
// beside ACLAdmin on 4.x; on 5.x users come after the start (CreateUser)
// and accounts must be empty.
func WithACL(opts Options, accounts ...PlainAccount) (Options, error) {
	admin := ACLAdmin
	opts.Credentials = &admin
	files := map[string]string{}
	for k, v := range opts.ExtraFiles {
		files[k] = v
	}
	files["conf/tools.yml"] = yamlPair("accessKey", admin.AccessKey) + yamlPair("secretKey", admin.SecretKey)
	opts.ExtraFiles = files
	if isV4(resolveVersion(opts.Version)) {
		all := append([]PlainAccount{{AccessKey: admin.AccessKey, SecretKey: admin.SecretKey, Admin: true,
			DefaultTopicPerm: "PUB|SUB", DefaultGroupPerm: "PUB|SUB"}}, accounts...)
		files["conf/plain_acl.yml"] = plainACL(all)
		opts.BrokerConf = append(append([]string(nil), opts.BrokerConf...), "aclEnable=true")
		return opts, nil
	}
	if len(accounts) > 0 {
		return opts, fmt.Errorf("realbroker: WithACL: plain_acl.yml accounts are ACL 1.0 (4.x); create 5.x users with CreateUser")
	}
	opts.BrokerConf = append(append([]string(nil), opts.BrokerConf...), acl2Conf(admin)...)
	return opts, nil
}

// acl2Conf turns ACL 2.0 on with the broker's local providers, admin as
// the SUPER user created at boot.
func acl2Conf(admin remoting.Credentials) []string {
	const auth = "org.apache.rocketmq.auth."
	return []string{
		"authenticationEnabled=true",
		"authorizationEnabled=true",
		"authenticationProvider=" + auth + "authentication.provider.DefaultAuthenticationProvider",
		"authenticationMetadataProvider=" + auth + "authentication.provider.LocalAuthenticationMetadataProvider",
		"authorizationProvider=" + auth + "authorization.provider.DefaultAuthorizationProvider",
		"authorizationMetadataProvider=" + auth + "authorization.provider.LocalAuthorizationMetadataProvider",
		`initAuthenticationUser={"username":` + strconv.Quote(admin.AccessKey) + `,"password":` + strconv.Quote(admin.SecretKey) + `}`,
		`innerClientAuthenticationCredentials={"accessKey":` + strconv.Quote(aclInner.AccessKey) + `,"secretKey":` + strconv.Quote(aclInner.SecretKey) + `}`,
	}
}

// plainACL renders plain_acl.yml. No white remote address anywhere: a
// matching one would let requests through unsigned, and the tests are
// about what each account's signature is allowed.
func plainACL(accounts []PlainAccount) string {
	var b strings.Builder
	b.WriteString("globalWhiteRemoteAddresses: []\naccounts:\n")
	for _, a := range accounts {
		b.WriteString("  - " + yamlPair("accessKey", a.AccessKey))
		b.WriteString("    " + yamlPair("secretKey", a.SecretKey))
		b.WriteString("    admin: " + strconv.FormatBool(a.Admin) + "\n")
		b.WriteString("    " + yamlPair("defaultTopicPerm", orDeny(a.DefaultTopicPerm)))
		b.WriteString("    " + yamlPair("defaultGroupPerm", orDeny(a.DefaultGroupPerm)))
		writeList(&b, "topicPerms", a.TopicPerms)
		writeList(&b, "groupPerms", a.GroupPerms)
	}
	return b.String()
}

func orDeny(perm string) string {
	if perm == "" {
		return "DENY"
	}
	return perm
}

func writeList(b *strings.Builder, key string, items []string) {
	if len(items) == 0 {
		return
	}
	b.WriteString("    " + key + ":\n")
	for _, it := range items {
		b.WriteString("      - " + strconv.Quote(it) + "\n")
	}
}

// yamlPair is one "key: value" line with the value double-quoted, which
// YAML reads as JSON does (strconv.Quote's escapes are a subset).
func yamlPair(key, value string) string { return key + ": " + strconv.Quote(value) + "\n" }

// CreateUser creates a NORMAL user on every broker of the cluster and
// gives it grants, with the mqadmin commands an operator runs (createUser,
// then createAcl per grant; ACL 2.0, 5.x only).
func (c *Cluster) CreateUser(ctx context.Context, user remoting.Credentials, grants ...ACLGrant) error {
	if isV4(c.Version) {
		return fmt.Errorf("realbroker: CreateUser: %s has ACL 1.0: give WithACL a PlainAccount", c.Version)
	}
	if _, err := c.MQAdmin(ctx, "createUser", "-c", c.ClusterName, "-u", user.AccessKey, "-p", user.SecretKey, "-t", "Normal"); err != nil {
		return err
	}
	for _, g := range grants {
		if _, err := c.MQAdmin(ctx, "createAcl", "-c", c.ClusterName, "-s", "User:"+user.AccessKey,
			"-r", strings.Join(g.Resources, ","), "-a", strings.Join(g.Actions, ","), "-d", "Allow"); err != nil {
			return err
		}
	}
	return nil
}
