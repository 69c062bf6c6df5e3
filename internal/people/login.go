package people

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// LoginInput is the body of POST /auth/login.
type LoginInput struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Client describes who is signing in, for throttling and the session record.
type Client struct {
	IP        string
	UserAgent string
	DeviceID  string // the known-device cookie, possibly empty
}

// ErrBadCredentials is the same for an unknown e-mail and a wrong password.
var ErrBadCredentials = apperr.New(apperr.Unauthenticated, "the e-mail or password is not right")

// Login checks the credentials and starts a session.
func (s *Service) Login(ctx context.Context, in LoginInput, c Client) (string, Employee, error) {
	email := strings.ToLower(strings.TrimSpace(in.Email))
	f := apperr.Fields{}
	if email == "" || len(email) > 254 {
		f.Add("email", "is required")
	}
	if in.Password == "" || len(in.Password) > 256 {
		f.Add("password", "is required")
	}
	if err := f.Err(); err != nil {
		return "", Employee{}, err
	}
	wait, err := s.Limiter.Check(ctx, c.IP, email, c.DeviceID)
	if err != nil {
		return "", Employee{}, err
	}
	if wait > 0 {
		e := apperr.New(apperr.RateLimited, "too many failed sign-ins; try again later")
		e.RetryAfter = wait
		return "", Employee{}, e
	}
	var id int64
	var hash string
	var active bool
	err = s.W.DB.QueryRowContext(ctx, "SELECT id, password_hash, active FROM users WHERE email = ?", email).Scan(&id, &hash, &active)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		auth.CheckPassword(s.Passwords.DummyHash(), in.Password)
		return "", Employee{}, s.failed(ctx, c.IP, email)
	case err != nil:
		return "", Employee{}, fmt.Errorf("people: login: %w", err)
	}
	if !auth.CheckPassword(hash, in.Password) || !active {
		return "", Employee{}, s.failed(ctx, c.IP, email)
	}
	var token string
	err = s.W.Do(ctx, func(tx *outbox.Tx) error {
		var err error
		token, err = s.Sessions.Create(ctx, tx, id, c.IP, c.UserAgent)
		if err != nil {
			return err
		}
		tx.Audit(outbox.Audit{ActorID: id, Action: "login", Entity: "session"})
		return nil
	})
	if err != nil {
		return "", Employee{}, err
	}
	if err := s.Limiter.Succeeded(ctx, c.IP, email, c.DeviceID); err != nil {
		return "", Employee{}, err
	}
	e, err := loadEmployee(ctx, s.W.DB, s.W.DB, id, false)
	if err != nil {
		return "", Employee{}, err
	}
	return token, e.forViewer(auth.Principal{UserID: id, Role: e.Role}), nil
}

func (s *Service) failed(ctx context.Context, ip, email string) error {
	if err := s.Limiter.Failed(ctx, ip, email); err != nil {
		return err
	}
	return ErrBadCredentials
}

// Me returns the caller.
func (s *Service) Me(ctx context.Context, p auth.Principal) (Employee, error) {
	return s.GetEmployee(ctx, p, p.UserID)
}

// PasswordChange is the body of POST /me/password.
type PasswordChange struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// ChangePassword sets a new password after checking the current one, and
// ends every other session of the caller.
func (s *Service) ChangePassword(ctx context.Context, p auth.Principal, in PasswordChange) error {
	if why := auth.ValidatePassword(in.New); why != "" {
		return apperr.Field("new", why)
	}
	hash, err := s.Passwords.Hash(in.New)
	if err != nil {
		return err
	}
	defer s.Sessions.ForgetUser(p.UserID) // the other sessions end
	return s.W.Do(ctx, func(tx *outbox.Tx) error {
		var cur string
		if err := tx.QueryRowContext(ctx, "SELECT password_hash FROM users WHERE id = ?"+tx.DB.ForUpdate(), p.UserID).Scan(&cur); err != nil {
			return fmt.Errorf("people: change password: %w", err)
		}
		if !auth.CheckPassword(cur, in.Current) {
			return apperr.Field("current", "is not your current password")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", hash, tx.Now(), p.UserID); err != nil {
			return fmt.Errorf("people: change password: %w", err)
		}
		if err := auth.RevokeUserTx(ctx, tx, p.UserID, p.SessionID); err != nil {
			return err
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "password.change", Entity: "employee", EntityID: p.UserID})
		return nil
	})
}

// BootstrapAdmin creates the admin named by CRUMB_ADMIN_EMAIL when the
// database has no admin yet. It reports whether it created one.
func (s *Service) BootstrapAdmin(ctx context.Context, email, password string) (bool, error) {
	if email == "" {
		return false, nil
	}
	var n int
	if err := s.W.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE role = 'admin'").Scan(&n); err != nil {
		return false, fmt.Errorf("people: bootstrap admin: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	role := auth.RoleAdmin
	first, last := "Store", "Admin"
	_, err := s.CreateEmployee(ctx, auth.System, EmployeeInput{
		FirstName: &first, LastName: &last, Email: &email, Password: &password, Role: &role,
	})
	if err != nil {
		return false, fmt.Errorf("people: bootstrap admin: %w", err)
	}
	return true, nil
}
