package attendance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// PIN throttling. Wrong PINs are counted per kiosk session (the device) and
// per person in PINWindow. The per-person counter is cleared by a correct
// PIN (only the owner knows it); the device counter is not, so someone at
// the kiosk who knows one PIN cannot use it to keep guessing others.
const (
	PINWindow         = 15 * time.Minute
	PINLimitPerDevice = 10
	PINLimitPerPerson = 5
)

// KioskInput is the body of POST /attendance/kiosk/{action}.
type KioskInput struct {
	EmployeeID int64  `json:"employee_id,omitempty"`
	Badge      string `json:"badge,omitempty"`
	PIN        string `json:"pin"`
	ShiftID    *int64 `json:"shift_id,omitempty"`
	// OccurredAt is when a punch the kiosk saved while it had no
	// connection was made; it is sent later, and recorded at that time.
	// Absent means now.
	OccurredAt *time.Time `json:"occurred_at,omitempty"`
}

// KioskReplayWindow is how old a punch saved on a kiosk without a
// connection may be when it arrives; an older one is refused (a manager
// corrects the timesheet instead).
const KioskReplayWindow = 12 * time.Hour

// PINInput is the body of PUT /me/pin and PUT /employees/{id}/pin (badge: admins only).
type PINInput struct {
	PIN   string  `json:"pin"`
	Badge *string `json:"badge,omitempty"`
}

// ErrBadPIN is the same for an unknown person, a person without a PIN and a wrong PIN.
var ErrBadPIN = apperr.Field("pin", "the badge or PIN is not right")

// Kiosk performs an action for the person who typed their PIN at a shared
// kiosk device (role kiosk).
func (s *Service) Kiosk(ctx context.Context, p auth.Principal, a Action, in KioskInput) (Record, error) {
	if p.Role == auth.RoleKiosk && !ValidAction(a) {
		return Record{}, apperr.NotFoundf("attendance action")
	}
	emp, err := s.kioskPerson(ctx, p, in)
	if err != nil {
		return Record{}, err
	}
	ci := ClockInput{ShiftID: in.ShiftID}
	if in.OccurredAt != nil {
		now := s.W.Clock()
		switch at := in.OccurredAt.UTC(); {
		case at.After(now.Add(time.Minute)):
			return Record{}, apperr.Field("occurred_at", "is in the future")
		case at.Before(now.Add(-KioskReplayWindow)):
			return Record{}, apperr.Field("occurred_at", "is more than 12 hours ago; a manager corrects the timesheet instead")
		case at.Before(now):
			ci.at = at.Truncate(time.Microsecond)
		}
	}
	return s.clock(ctx, emp, a, ci, SourceKiosk)
}

// kioskPerson is the person whose badge or id and PIN a kiosk sent.
func (s *Service) kioskPerson(ctx context.Context, p auth.Principal, in KioskInput) (int64, error) {
	if p.Role != auth.RoleKiosk {
		return 0, apperr.New(apperr.Forbidden, "only a kiosk device clocks people in by PIN")
	}
	f := apperr.Fields{}
	in.Badge = strings.TrimSpace(in.Badge)
	if (in.EmployeeID == 0) == (in.Badge == "") {
		f.Add("employee_id", "send employee_id or badge")
	}
	if in.PIN == "" || len(in.PIN) > 16 || len(in.Badge) > 32 {
		f.Add("pin", "is required")
	}
	if err := f.Err(); err != nil {
		return 0, err
	}
	return s.checkPIN(ctx, p, in)
}

func (s *Service) checkPIN(ctx context.Context, p auth.Principal, in KioskInput) (int64, error) {
	var emp int64
	var hash string
	q, arg, person := "SELECT user_id, pin_hash FROM user_pins WHERE user_id = ?", any(in.EmployeeID), "emp:"+strconv.FormatInt(in.EmployeeID, 10)
	if in.Badge != "" {
		q, arg, person = "SELECT user_id, pin_hash FROM user_pins WHERE badge = ?", in.Badge, "badge:"+in.Badge
	}
	err := s.W.DB.QueryRowContext(ctx, q, arg).Scan(&emp, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("attendance: pin: %w", err)
	}
	if err == nil {
		person = "emp:" + strconv.FormatInt(emp, 10)
	}
	device := "crumb:pin:device:" + strconv.FormatInt(p.SessionID, 10)
	person = "crumb:pin:person:" + person
	n, err := s.PINs.Counts(ctx, device, person)
	if err != nil {
		return 0, err
	}
	if n[0] >= PINLimitPerDevice || n[1] >= PINLimitPerPerson {
		return 0, auth.RateLimited("wrong PINs", s.PINs.Wait())
	}
	if hash == "" {
		auth.CheckPassword(s.People.Passwords.DummyHash(), in.PIN) // same cost as a wrong PIN
	}
	if hash == "" || !auth.CheckPassword(hash, in.PIN) {
		if err := s.PINs.Add(ctx, device, person); err != nil {
			return 0, err
		}
		return 0, ErrBadPIN
	}
	if err := s.PINs.Clear(ctx, person); err != nil {
		return 0, err
	}
	return emp, nil
}

// ValidatePIN returns why pin is not acceptable, or "".
func ValidatePIN(pin string) string {
	if len(pin) < 4 || len(pin) > 8 || strings.Trim(pin, "0123456789") != "" {
		return "must be 4 to 8 digits"
	}
	up, down, same := true, true, true
	for i := 1; i < len(pin); i++ {
		up = up && pin[i] == pin[i-1]+1
		down = down && pin[i] == pin[i-1]-1
		same = same && pin[i] == pin[i-1]
	}
	if up || down || same {
		return "is too easy to guess (like 1234 or 0000)"
	}
	return ""
}

// SetPIN sets the kiosk PIN of a person: themselves, or anyone when p is an
// admin (who may also set or clear the badge).
func (s *Service) SetPIN(ctx context.Context, p auth.Principal, employeeID int64, in PINInput) error {
	if p.UserID != employeeID {
		if _, err := s.People.GetEmployee(ctx, p, employeeID); err != nil {
			return err // 404 for people the caller may not know
		}
	}
	switch {
	case p.Role == auth.RoleKiosk:
		return apperr.New(apperr.Forbidden, "a kiosk has no PIN")
	case p.UserID != employeeID && !p.IsAdmin():
		return apperr.New(apperr.Forbidden, "only admins set other people's PINs")
	case in.Badge != nil && !p.IsAdmin():
		return apperr.Field("badge", "only admins assign badges")
	}
	f := apperr.Fields{}
	if why := ValidatePIN(in.PIN); why != "" {
		f.Add("pin", why)
	}
	if in.Badge != nil && len(strings.TrimSpace(*in.Badge)) > 32 {
		f.Add("badge", "must be at most 32 characters")
	}
	if err := f.Err(); err != nil {
		return err
	}
	hash, err := s.People.Passwords.Hash(in.PIN)
	if err != nil {
		return err
	}
	return s.W.Do(ctx, func(tx *outbox.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE id = ?", employeeID).Scan(&n); err != nil {
			return fmt.Errorf("attendance: set pin: %w", err)
		}
		if n == 0 {
			return apperr.NotFoundf("employee")
		}
		res, err := tx.ExecContext(ctx, "UPDATE user_pins SET pin_hash = ?, updated_at = ? WHERE user_id = ?", hash, tx.Now(), employeeID)
		if err != nil {
			return fmt.Errorf("attendance: set pin: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			if _, err := tx.ExecContext(ctx, "INSERT INTO user_pins (user_id, pin_hash, updated_at) VALUES (?, ?, ?)", employeeID, hash, tx.Now()); err != nil {
				return fmt.Errorf("attendance: set pin: %w", err)
			}
		}
		if in.Badge != nil {
			var badge any
			if b := strings.TrimSpace(*in.Badge); b != "" {
				badge = b
			}
			_, err := tx.ExecContext(ctx, "UPDATE user_pins SET badge = ? WHERE user_id = ?", badge, employeeID)
			if db.IsDuplicate(err) {
				return apperr.Field("badge", "belongs to someone else")
			}
			if err != nil {
				return fmt.Errorf("attendance: set badge: %w", err)
			}
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "attendance.pin", Entity: "employee", EntityID: employeeID,
			Detail: map[string]any{"badge": in.Badge != nil}})
		return nil
	})
}
