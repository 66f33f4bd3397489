package connector

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// EnvKey names the environment variable holding the credentials key: 32
// random bytes, base64 or hex (`openssl rand -base64 32`).
const EnvKey = "DESKFLOW_SECRET_KEY"

var (
	// ErrNoKey means credentials cannot be sealed or opened: no key is set.
	ErrNoKey = errors.New("no credentials key: set " + EnvKey + " to 32 random bytes in base64 or hex, made with: openssl rand -base64 32")
	// ErrWrongKey means the key does not open what was sealed with the
	// database's key: its key check or its credentials.
	ErrWrongKey = errors.New(EnvKey + " does not open the credentials stored in this database: it is not the key they were sealed with")
)

// keyCheck is the known value sealed as a database's key check, and
// keyCheckBinding the additional data it is bound to: not a connector id
// (those are UUIDs), so neither can pass for the other.
const (
	keyCheck        = "deskflow credentials key check"
	keyCheckBinding = "deskflow:key-check"
)

// Sealer seals credentials with AES-256-GCM. The connector's id is bound in
// as additional data, so sealed credentials cannot be moved to another
// connector.
type Sealer struct {
	aead cipher.AEAD
}

// ParseKey reads a 32-byte key written as base64 (standard or URL) or hex.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString,
	} {
		if b, err := dec(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%s must be 32 bytes written as base64 or hex", EnvKey)
}

// NewSealer builds a sealer from a 32-byte key; a nil key gives a sealer
// that refuses with ErrNoKey.
func NewSealer(key []byte) (*Sealer, error) {
	if key == nil {
		return &Sealer{}, nil
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("credentials key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("credentials key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Ready reports whether the sealer has a key.
func (s *Sealer) Ready() bool { return s != nil && s.aead != nil }

// Seal encrypts credentials for the connector id.
func (s *Sealer) Seal(connectorID string, creds map[string]string) ([]byte, error) {
	if !s.Ready() {
		return nil, ErrNoKey
	}
	plain, err := json.Marshal(creds)
	if err != nil {
		return nil, fmt.Errorf("encode credentials: %w", err)
	}
	return s.seal(plain, connectorID), nil
}

func (s *Sealer) seal(plain []byte, binding string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plain, []byte(binding))
}

// open decrypts what seal sealed with the same key and binding.
func (s *Sealer) open(sealed []byte, binding string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed value is truncated")
	}
	return s.aead.Open(nil, sealed[:n], sealed[n:], []byte(binding))
}

// SealKeyCheck seals the known value a database keeps to tell, at start,
// whether the configured key is the one its credentials were sealed with.
func (s *Sealer) SealKeyCheck() ([]byte, error) {
	if !s.Ready() {
		return nil, ErrNoKey
	}
	return s.seal([]byte(keyCheck), keyCheckBinding), nil
}

// OpenKeyCheck verifies a key check: nil when the sealer's key sealed it,
// else ErrWrongKey (ErrNoKey without a key).
func (s *Sealer) OpenKeyCheck(sealed []byte) error {
	if !s.Ready() {
		return ErrNoKey
	}
	if plain, err := s.open(sealed, keyCheckBinding); err != nil || string(plain) != keyCheck {
		return ErrWrongKey
	}
	return nil
}

// Open decrypts credentials sealed for the connector id.
func (s *Sealer) Open(connectorID string, sealed []byte) (map[string]string, error) {
	if len(sealed) == 0 {
		return map[string]string{}, nil
	}
	if !s.Ready() {
		return nil, ErrNoKey
	}
	plain, err := s.open(sealed, connectorID)
	if err != nil {
		return nil, fmt.Errorf("open credentials of connector %s (wrong %s, or sealed for another connector?): %w", connectorID, EnvKey, err)
	}
	creds := map[string]string{}
	if err := json.Unmarshal(plain, &creds); err != nil {
		return nil, fmt.Errorf("decode credentials of connector %s: %w", connectorID, err)
	}
	return creds, nil
}
