package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters (OWASP's minimum recommendation: 19 MiB, t=2, p=1).
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// Hasher makes new password hashes with its argon2id parameters.
// Verification (CheckPassword) always uses the parameters encoded in the
// stored hash, so hashes made with any parameters verify everywhere.
//
// The zero Hasher uses the production parameters above. Tests that create
// hundreds of people under the race detector give their own instance cheap
// parameters (e.g. Hasher{MemoryKiB: 64, Time: 1}); nothing process-wide
// changes.
type Hasher struct {
	MemoryKiB uint32 // argon2 memory in KiB; 0 means argonMemoryKiB
	Time      uint32 // argon2 passes; 0 means argonTime
}

func (h Hasher) params() (memory, time uint32) {
	memory, time = h.MemoryKiB, h.Time
	if memory == 0 {
		memory = argonMemoryKiB
	}
	if time == 0 {
		time = argonTime
	}
	return memory, time
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10

var errBadHash = errors.New("auth: malformed password hash")

// Hash returns an encoded argon2id hash of pw.
func (h Hasher) Hash(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	m, t := h.params()
	key := argon2.IDKey([]byte(pw), salt, t, m, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches the encoded hash.
func CheckPassword(encoded, pw string) bool {
	ok, err := checkPassword(encoded, pw)
	return err == nil && ok
}

func checkPassword(encoded, pw string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, errBadHash
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, errBadHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHashes caches one dummy hash per set of parameters.
var dummyHashes sync.Map // Hasher (parameters filled in) -> string

// DummyHash is a valid hash of no real password made with h's parameters.
// It is verified against when an e-mail is unknown, so that a wrong e-mail
// costs as much time as a wrong password.
func (h Hasher) DummyHash() string {
	m, tm := h.params()
	key := Hasher{MemoryKiB: m, Time: tm}
	if v, ok := dummyHashes.Load(key); ok {
		return v.(string)
	}
	s, err := key.Hash("not-a-real-password-at-all")
	if err != nil {
		panic(err)
	}
	v, _ := dummyHashes.LoadOrStore(key, s)
	return v.(string)
}

// DummyHash is a valid hash of no real password with the production
// parameters.
func DummyHash() string { return Hasher{}.DummyHash() }

// ValidatePassword returns why pw is not acceptable, or "".
func ValidatePassword(pw string) string {
	switch {
	case len(pw) < MinPasswordLen:
		return fmt.Sprintf("must be at least %d characters", MinPasswordLen)
	case len(pw) > 256:
		return "must be at most 256 characters"
	}
	return ""
}
