// Package auth issues API tokens and recognizes them. A token is shown once;
// only its SHA-256 hash is stored (tokens are 256-bit random values, so a
// fast hash is enough: there is nothing to brute-force).
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Prefix marks deskflow tokens so that secret scanners and people can
// recognize them.
const Prefix = "dfk_"

// NewToken returns a new random token.
func NewToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return Prefix + base64.RawURLEncoding.EncodeToString(b)
}

// Hash is the stored form of a token.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// LooksLikeToken rejects obviously malformed tokens before any lookup.
func LooksLikeToken(token string) bool {
	return strings.HasPrefix(token, Prefix) && len(token) == len(Prefix)+43
}

// SecretPrefix marks the secrets of console sessions and sign-in links.
const SecretPrefix = "dfs_"

// NewSecret returns a new random secret for a session cookie or a
// one-time sign-in link; like a token, only its Hash is stored.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// LooksLikeSecret rejects obviously malformed secrets before any lookup.
func LooksLikeSecret(s string) bool {
	return strings.HasPrefix(s, SecretPrefix) && len(s) == len(SecretPrefix)+43
}
