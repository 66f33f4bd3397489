package connector

import (
	"errors"
	"reflect"
	"testing"
)

func mustSealer(t *testing.T, key string) *Sealer {
	t.Helper()
	s, err := NewSealer([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const (
	keyA = "0123456789abcdef0123456789abcdef"
	keyB = "another key, 32 bytes long......"
	idA  = "0b6e1d9e-3c4f-4a57-9a0e-6f1f3f0c2a11"
	idB  = "5d2c7a10-8e4b-4f6c-b1a2-93d4e5f60718"
)

func TestSealedCredentialsOpenOnlyForTheirConnectorAndKey(t *testing.T) {
	a := mustSealer(t, keyA)
	creds := map[string]string{"signing_secret": "whsec_x", "token": "t"}
	sealed, err := a.Seal(idA, creds)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := a.Open(idA, sealed); err != nil || !reflect.DeepEqual(got, creds) {
		t.Fatalf("Open = %v, %v; want %v", got, err, creds)
	}
	// Bound to the connector: moved to another connector's row, they do
	// not open.
	if got, err := a.Open(idB, sealed); err == nil {
		t.Errorf("credentials sealed for %s opened as %s's: %v", idA, idB, got)
	}
	if got, err := mustSealer(t, keyB).Open(idA, sealed); err == nil {
		t.Errorf("credentials opened with another key: %v", got)
	}
	if _, err := (&Sealer{}).Open(idA, sealed); !errors.Is(err, ErrNoKey) {
		t.Errorf("Open without a key: %v, want ErrNoKey", err)
	}
	// Every byte counts.
	for i := range sealed {
		damaged := append([]byte(nil), sealed...)
		damaged[i] ^= 1
		if _, err := a.Open(idA, damaged); err == nil {
			t.Fatalf("credentials with byte %d changed opened", i)
		}
	}
	if _, err := a.Open(idA, sealed[:5]); err == nil {
		t.Errorf("truncated credentials opened")
	}
}

func TestKeyCheck(t *testing.T) {
	a, b := mustSealer(t, keyA), mustSealer(t, keyB)
	check, err := a.SealKeyCheck()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.OpenKeyCheck(check); err != nil {
		t.Errorf("the key that sealed the check: %v", err)
	}
	if err := b.OpenKeyCheck(check); !errors.Is(err, ErrWrongKey) {
		t.Errorf("another key: %v, want ErrWrongKey", err)
	}
	if err := (&Sealer{}).OpenKeyCheck(check); !errors.Is(err, ErrNoKey) {
		t.Errorf("no key: %v, want ErrNoKey", err)
	}
	if _, err := (&Sealer{}).SealKeyCheck(); !errors.Is(err, ErrNoKey) {
		t.Errorf("sealing a check without a key: %v, want ErrNoKey", err)
	}
	// Credentials of a connector are not a key check.
	sealed, err := a.Seal(idA, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.OpenKeyCheck(sealed); !errors.Is(err, ErrWrongKey) {
		t.Errorf("credentials passed as a key check: %v", err)
	}
	if err := a.OpenKeyCheck(nil); !errors.Is(err, ErrWrongKey) {
		t.Errorf("an empty key check: %v, want ErrWrongKey", err)
	}
}
