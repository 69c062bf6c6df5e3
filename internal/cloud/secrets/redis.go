package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// DialFunc opens a network connection (go-redis Options.Dialer's shape).
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// RedisAuthError is Redis refusing the AUTH token read from a secret. It
// names the secret, never the token.
type RedisAuthError struct {
	SecretID string
	Reply    string // the server's error line, e.g. "WRONGPASS invalid username-password pair ..."
}

func (e *RedisAuthError) Error() string {
	return fmt.Sprintf("secrets: redis refused the AUTH token of secret %s: %s", e.SecretID, e.Reply)
}

// RedisDialer returns a dialer that authenticates every new Redis connection
// with the token in s (cached; see Password for the formats) before handing
// it to go-redis, so pooled, pub/sub and queue connections all follow a
// rotation. When Redis refuses the token, the secret is fetched again and the
// connection dialed once more, like the database's refreshingConnector.
// username is the ACL user, "" for the default user.
func RedisDialer(s *Secret, username string, dial DialFunc) DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		v, err := s.Value(ctx, false)
		if err != nil {
			return nil, err
		}
		conn, err := redisAuth(ctx, dial, network, addr, s.ID, username, v)
		var refused *RedisAuthError
		if !errors.As(err, &refused) {
			return conn, err
		}
		if v, err = s.Refresh(ctx, v); err != nil {
			return nil, errors.Join(refused, err)
		}
		return redisAuth(ctx, dial, network, addr, s.ID, username, v)
	}
}

// redisAuth dials and sends AUTH in RESP2, the one request every server
// answers before HELLO. The server sends nothing else until the next
// command, so the reply is all there is to read.
func redisAuth(ctx context.Context, dial DialFunc, network, addr, secretID, username, value string) (net.Conn, error) {
	pw, err := parsePassword(value)
	if err != nil {
		return nil, fmt.Errorf("%w (secret %s)", err, secretID)
	}
	conn, err := dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	conn.SetDeadline(deadline)
	args := []string{"AUTH", pw}
	if username != "" {
		args = []string{"AUTH", username, pw}
	}
	req := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		req = append(req, "$"+strconv.Itoa(len(a))+"\r\n"+a+"\r\n"...)
	}
	reply, err := readLine(conn, req)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("secrets: redis AUTH: %w", err)
	}
	switch {
	case reply == "+OK":
		conn.SetDeadline(time.Time{})
		return conn, nil
	case isRefusal(reply):
		conn.Close()
		return nil, &RedisAuthError{SecretID: secretID, Reply: strings.TrimPrefix(reply, "-")}
	default:
		conn.Close()
		return nil, fmt.Errorf("secrets: redis AUTH (secret %s): %s", secretID, strings.TrimPrefix(reply, "-"))
	}
}

// readLine writes req and reads one CRLF-terminated reply line.
func readLine(conn net.Conn, req []byte) (string, error) {
	if _, err := conn.Write(req); err != nil {
		return "", err
	}
	var buf [512]byte
	n := 0
	for !bytes.HasSuffix(buf[:n], []byte("\r\n")) {
		if n == len(buf) {
			return "", errors.New("reply line too long")
		}
		m, err := conn.Read(buf[n:])
		if err != nil {
			return "", err
		}
		n += m
	}
	return string(buf[:n-2]), nil
}

// isRefusal reports whether an AUTH error reply means the token is wrong:
// the sign that a rotated secret must be fetched again.
func isRefusal(reply string) bool {
	return strings.HasPrefix(reply, "-WRONGPASS") || strings.HasPrefix(reply, "-NOAUTH") ||
		strings.Contains(reply, "invalid username-password pair") || strings.Contains(reply, "invalid password")
}
