package webhook

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The signing test vector of the official Standard Webhooks libraries.
func TestSignKnownVector(t *testing.T) {
	key, err := SecretKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

// Signatures verify with the official Go library, and fail it once the
// body, id or timestamp change.
func TestSignVerifiesWithOfficialLibrary(t *testing.T) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	secret := SecretPrefix + base64.StdEncoding.EncodeToString(raw)
	key, err := SecretKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("{\"subject\": \"He said \\\"hi\\\" \\\\ ünï 🎉\"}\n")
	at := time.Now()
	header := func(id string, ts time.Time, sig string) http.Header {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, Timestamp(ts))
		h.Set(HeaderSignature, sig)
		return h
	}
	sig := Sign(key, "run1-0-1", at, body)
	if err := verifier.Verify(body, header("run1-0-1", at, sig)); err != nil {
		t.Fatalf("official verifier refused: %v", err)
	}
	// A list with a rotated-out signature first still verifies.
	if err := verifier.Verify(body, header("run1-0-1", at, "v1,AAAA "+sig)); err != nil {
		t.Fatalf("official verifier refused a signature list: %v", err)
	}
	tampered := bytes.Replace(body, []byte("hi"), []byte("ho"), 1)
	if err := verifier.Verify(tampered, header("run1-0-1", at, sig)); err == nil {
		t.Error("tampered body verified")
	}
	if err := verifier.Verify(body, header("run1-0-2", at, sig)); err == nil {
		t.Error("other id verified")
	}
	if err := verifier.Verify(body, header("run1-0-1", at.Add(time.Second), sig)); err == nil {
		t.Error("other timestamp verified")
	}
}

func TestTimestampIsIntegerSeconds(t *testing.T) {
	at := time.Unix(1700000000, 999_000_000)
	if got := Timestamp(at); got != "1700000000" {
		t.Fatalf("Timestamp = %q", got)
	}
	if _, err := strconv.ParseInt(Timestamp(time.Now()), 10, 64); err != nil {
		t.Fatal(err)
	}
}

func TestSecretKey(t *testing.T) {
	raw := bytes.Repeat([]byte{7}, 24)
	enc := base64.StdEncoding.EncodeToString(raw)
	for _, s := range []string{SecretPrefix + enc, enc} {
		key, err := SecretKey(s)
		if err != nil || !bytes.Equal(key, raw) {
			t.Errorf("SecretKey(%q) = %x, %v", s, key, err)
		}
	}
	for _, bad := range []string{"", "whsec_", "whsec_not base64!", "whsec_" + base64.StdEncoding.EncodeToString([]byte("short"))} {
		if _, err := SecretKey(bad); err == nil {
			t.Errorf("SecretKey(%q) accepted", bad)
		}
	}
}
