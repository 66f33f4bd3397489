// Package webhook is the "webhook" connector type, Standard Webhooks
// signing (https://www.standardwebhooks.com) and the delivery of
// send_webhook's requests (Client.Send): a connector holds the signing
// secret, and every request send_webhook makes through it carries
// webhook-id, webhook-timestamp and a v1 HMAC-SHA256 webhook-signature.
// Deliveries are retried by the retry package's loop within the step's
// deadline.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
)

// Type is the connector type name.
const Type = "webhook"

// SecretPrefix starts Standard Webhooks secrets.
const SecretPrefix = "whsec_"

// The Standard Webhooks headers.
const (
	// HeaderID is the message id, the same for every attempt of one
	// message: receivers use it as their idempotency key.
	HeaderID = "webhook-id"
	// HeaderTimestamp is the attempt's time in integer Unix seconds.
	HeaderTimestamp = "webhook-timestamp"
	// HeaderSignature is a space-separated list of "v1,<base64>" values.
	HeaderSignature = "webhook-signature"
)

func init() {
	connector.Register(connector.Type{
		Name:        Type,
		Description: "Signs send_webhook requests with Standard Webhooks headers.",
		Credentials: []connector.Credential{{Key: "signing_secret", Required: true,
			Description: "The Standard Webhooks signing secret shared with the receiver: " + SecretPrefix + " followed by at least 16 random bytes in base64."}},
	})
}

// SecretKey decodes a "whsec_<base64>" secret (or bare base64) to its key.
func SecretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("the signing secret must be %s followed by at least 16 bytes in base64", SecretPrefix)
	}
	return key, nil
}

// Timestamp is the webhook-timestamp header value of an attempt made at at.
func Timestamp(at time.Time) string { return strconv.FormatInt(at.Unix(), 10) }

// Sign returns the webhook-signature header value for a message:
// "v1,<base64 HMAC-SHA256 of id.timestamp.body>", the timestamp being
// Timestamp(at). The id must not contain "." (the spec's separator).
func Sign(key []byte, id string, at time.Time, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + Timestamp(at) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
