// Package secrets reads credentials from AWS Secrets Manager. Values are
// cached in memory and never logged; a refresh re-reads the secret after
// rotation (the database or Redis reports an authentication failure).
package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// API is the part of the Secrets Manager client used here.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ API = (*secretsmanager.Client)(nil)

// Secret is one cached secret.
type Secret struct {
	API API
	ID  string

	mu        sync.Mutex
	value     string
	loaded    bool
	refreshed time.Time // when Refresh last fetched
}

// Value returns the secret string, fetching it on first use or when refresh
// is set.
func (s *Secret) Value(ctx context.Context, refresh bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded && !refresh {
		return s.value, nil
	}
	return s.fetch(ctx)
}

// refetchGap is how long a value that was fetched and then refused anyway
// stays without another fetch: a wrong secret costs one fetch per gap, not
// one per connection attempt (go-redis retries failed dials itself).
const refetchGap = 10 * time.Second

// Refresh fetches the secret again after stale (a value read earlier) was
// refused, unless another caller has already replaced it: after a rotation
// many connections are refused at once and one fetch serves them all. A
// value that an earlier Refresh fetched less than refetchGap ago is not
// fetched again.
func (s *Secret) Refresh(ctx context.Context, stale string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded && (s.value != stale || time.Since(s.refreshed) < refetchGap) {
		return s.value, nil
	}
	v, err := s.fetch(ctx)
	if err == nil {
		s.refreshed = time.Now()
	}
	return v, err
}

// fetch reads the secret; s.mu is held.
func (s *Secret) fetch(ctx context.Context) (string, error) {
	out, err := s.API.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.ID)})
	if err != nil {
		// The error names the secret id only, never a value.
		return "", fmt.Errorf("secrets: get %s: %w", s.ID, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("secrets: %s has no string value", s.ID)
	}
	s.value, s.loaded = *out.SecretString, true
	return s.value, nil
}

// dbSecret is the JSON layout RDS-managed secrets use.
type dbSecret struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// DBCredentials returns a db.CredentialsFunc-shaped function reading the
// RDS secret {"username","password",...}.
func DBCredentials(s *Secret) func(ctx context.Context, refresh bool) (string, string, error) {
	return func(ctx context.Context, refresh bool) (string, string, error) {
		v, err := s.Value(ctx, refresh)
		if err != nil {
			return "", "", err
		}
		var c dbSecret
		if err := json.Unmarshal([]byte(v), &c); err != nil || c.Username == "" || c.Password == "" {
			return "", "", errors.New("secrets: database secret is not {\"username\",\"password\"} JSON")
		}
		return c.Username, c.Password, nil
	}
}

// Password reads a secret that is either a plain string or JSON with a
// "password" (or "auth_token") field: the ElastiCache AUTH token.
func Password(ctx context.Context, s *Secret) (string, error) {
	v, err := s.Value(ctx, false)
	if err != nil {
		return "", err
	}
	return parsePassword(v)
}

// parsePassword takes the token out of a Redis secret's value. Its errors
// never quote the value.
func parsePassword(v string) (string, error) {
	if strings.HasPrefix(strings.TrimSpace(v), "{") {
		var m map[string]string
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return "", errors.New("secrets: redis secret is not valid JSON")
		}
		for _, k := range []string{"password", "auth_token", "token"} {
			if m[k] != "" {
				return m[k], nil
			}
		}
		return "", errors.New("secrets: redis secret has no password field")
	}
	if v == "" {
		return "", errors.New("secrets: redis secret is empty")
	}
	return v, nil
}
