package remoting

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"sort"
)

// Credentials sign requests for brokers with ACL 1.0 or 2.0 enabled.
type Credentials struct {
	AccessKey     string
	SecretKey     string
	SecurityToken string
}

// sign adds AccessKey, SecurityToken and Signature to cmd's extFields the
// way AclClientRPCHook does: HmacSHA1 over the values of every extField
// except Signature, in ascending key order, followed by the body.
func (c *Credentials) sign(cmd *Command) {
	if cmd.ExtFields == nil {
		cmd.ExtFields = map[string]string{}
	}
	cmd.ExtFields["AccessKey"] = c.AccessKey
	if c.SecurityToken != "" {
		cmd.ExtFields["SecurityToken"] = c.SecurityToken
	}
	delete(cmd.ExtFields, "Signature")
	cmd.ExtFields["Signature"] = Signature(c.SecretKey, cmd.ExtFields, cmd.Body)
}

// Signature computes the ACL signature of extFields (Signature excluded)
// and body with secretKey.
func Signature(secretKey string, ext map[string]string, body []byte) string {
	keys := make([]string, 0, len(ext))
	for k := range ext {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	mac := hmac.New(sha1.New, []byte(secretKey))
	for _, k := range keys {
		mac.Write([]byte(ext[k]))
	}
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
