package bakery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
)

// Sheet kinds.
const (
	KindTrayUp = "trayup"
	KindRTU    = "rtu"
)

// Sheet statuses.
const (
	StatusOpen      = "open"
	StatusFinalized = "finalized"
)

// Event names of this domain, on the bakery department's topic.
const (
	EventCount     = "bakery.count"
	EventFinalized = "bakery.finalized"
	EventReset     = "bakery.reset"
	EventItem      = "bakery.item"
)

// Counting limits.
const (
	// CountRateLimit counts (REST or socket) one person may send per
	// CountRateWindow: far above the fastest thumb, far below a script.
	CountRateLimit  = 60
	CountRateWindow = 10 * time.Second
	// MaxDelta is the largest step of one count.
	MaxDelta = 1000
	// MaxUpperLimit is the largest upper limit of an item.
	MaxUpperLimit = 10000
	// NewSheetDays is how far from today (store time) a new sheet may be
	// started; existing open sheets stay countable whatever their date.
	NewSheetDays = 2
	// MaxHistoryDays is the longest range of GET /bakery/sheets.
	MaxHistoryDays = 366
)

// Service is the bakery domain.
type Service struct {
	W      *outbox.Writer
	People *people.Service
	// Counts throttles counting per person.
	Counts auth.Window
}

// New returns the service; r holds the rate-limit counters.
func New(w *outbox.Writer, ppl *people.Service, r redis.UniversalClient) *Service {
	return &Service{W: w, People: ppl, Counts: auth.Window{R: r, Clock: w.Clock, Size: CountRateWindow}}
}

// ValidKind reports whether k is a sheet kind.
func ValidKind(k string) bool { return k == KindTrayUp || k == KindRTU }

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ErrNoBakery is returned when no department is the bakery.
var ErrNoBakery = apperr.New(apperr.Conflict, "the store has no bakery department; an admin sets one with PUT /bakery/settings")

// department resolves the bakery department (see the package comment).
func department(ctx context.Context, q querier) (int64, error) {
	var id sql.NullInt64
	err := q.QueryRowContext(ctx, "SELECT department_id FROM bakery_config WHERE id = 1").Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("bakery: config: %w", err)
	}
	if id.Valid {
		return id.Int64, nil
	}
	var dept int64
	err = q.QueryRowContext(ctx, "SELECT id FROM departments WHERE LOWER(name) = 'bakery' ORDER BY id LIMIT 1").Scan(&dept)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNoBakery
	}
	if err != nil {
		return 0, fmt.Errorf("bakery: find department: %w", err)
	}
	return dept, nil
}

// canCount: admins and the bakery's members and managers.
func canCount(p auth.Principal, dept int64) error {
	if p.IsAdmin() || (p.Role != auth.RoleKiosk && p.InDept(dept)) {
		return nil
	}
	return apperr.New(apperr.Forbidden, "only the bakery department counts bakery sheets")
}

// canEditItems: admins and the bakery's managers.
func canEditItems(p auth.Principal, dept int64) error {
	if p.Manages(dept) {
		return nil
	}
	return apperr.New(apperr.Forbidden, "only managers of the bakery change the catalogue")
}

// access resolves the bakery and checks that p may count there.
func (s *Service) access(ctx context.Context, q querier, p auth.Principal) (int64, error) {
	dept, err := department(ctx, q)
	if err != nil {
		return 0, err
	}
	return dept, canCount(p, dept)
}

// Settings is the bakery's store-level configuration.
type Settings struct {
	// DepartmentID is the bakery department in effect.
	DepartmentID *int64 `json:"department_id"`
	// Configured is false while the department named "Bakery" is used by default.
	Configured bool  `json:"configured"`
	Version    int64 `json:"version"`
}

// SettingsInput is the body of PUT /bakery/settings.
type SettingsInput struct {
	DepartmentID *int64 `json:"department_id"`
	Version      *int64 `json:"version"`
}

// GetSettings returns the configuration; everyone signed in may read it.
func (s *Service) GetSettings(ctx context.Context) (Settings, error) {
	var st Settings
	var id sql.NullInt64
	if err := s.W.DB.QueryRowContext(ctx, "SELECT department_id, version FROM bakery_config WHERE id = 1").Scan(&id, &st.Version); err != nil {
		return st, fmt.Errorf("bakery: settings: %w", err)
	}
	st.Configured = id.Valid
	dept, err := department(ctx, s.W.DB)
	if err == nil {
		st.DepartmentID = &dept
	} else if !errors.Is(err, ErrNoBakery) {
		return st, err
	}
	return st, nil
}

// PutSettings names the bakery department (admins only); null returns to
// the department named "Bakery".
func (s *Service) PutSettings(ctx context.Context, p auth.Principal, in SettingsInput, ifMatch *int64) (Settings, error) {
	if err := auth.RequireAdmin(p); err != nil {
		return Settings{}, err
	}
	if in.Version == nil {
		in.Version = ifMatch
	}
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		var version int64
		if err := tx.QueryRowContext(ctx, "SELECT version FROM bakery_config WHERE id = 1"+tx.DB.ForUpdate()).Scan(&version); err != nil {
			return fmt.Errorf("bakery: settings: %w", err)
		}
		if in.Version != nil && *in.Version != version {
			return apperr.Stale("the bakery settings")
		}
		if in.DepartmentID != nil {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM departments WHERE id = ?", *in.DepartmentID).Scan(&n); err != nil {
				return fmt.Errorf("bakery: settings: %w", err)
			}
			if n == 0 {
				return apperr.Field("department_id", "names a department that does not exist")
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE bakery_config SET department_id = ?, version = version + 1, updated_at = ? WHERE id = 1",
			nullID(in.DepartmentID), tx.Now()); err != nil {
			return fmt.Errorf("bakery: settings: %w", err)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "bakery.settings", Entity: "bakery_config", EntityID: 1, Detail: in})
		return nil
	})
	if err != nil {
		return Settings{}, err
	}
	return s.GetSettings(ctx)
}

func nullID(id *int64) any {
	if id == nil {
		return nil
	}
	return *id
}

// ParseDate reads a sheet date (YYYY-MM-DD).
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, apperr.New(apperr.BadRequest, "the date must look like 2026-12-01")
	}
	return d, nil
}

func kindLabel(kind string) string {
	if kind == KindTrayUp {
		return "tray-up"
	}
	return "RTU"
}

func insertIgnore(mysql bool) string {
	if mysql {
		return "INSERT IGNORE INTO"
	}
	return "INSERT OR IGNORE INTO"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
