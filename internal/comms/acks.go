package comms

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/roster"
)

// Schedule acknowledgement links.
const (
	// AckLinkPurpose is the purpose of the link in the e-mail or SMS that
	// acknowledges a week without signing in.
	AckLinkPurpose = "schedule.ack"
	// AckLinkTTL is how long such a link works.
	AckLinkTTL = 14 * 24 * time.Hour
)

// WeekAck is one person's acknowledgement of a department's published
// week: the payload of schedule.ack and a row of GET /schedules/acks.
type WeekAck struct {
	DepartmentID   int64      `json:"department_id"`
	DepartmentName string     `json:"department_name,omitempty"`
	WeekStart      string     `json:"week_start"`
	UserID         int64      `json:"user_id"`
	Name           string     `json:"name,omitempty"`
	PublishedAt    time.Time  `json:"published_at"`
	SeenAt         *time.Time `json:"seen_at"`
	AckedAt        *time.Time `json:"acked_at"`
	RemindedAt     *time.Time `json:"reminded_at"`
	// Status is "not_yet", "seen" or "acknowledged".
	Status string `json:"status"`
}

func (a *WeekAck) setStatus() {
	r := Read{SeenAt: a.SeenAt, AckedAt: a.AckedAt}
	r.setStatus()
	a.Status = r.Status
}

// WeekInput names a department's week (the body of the acknowledgement
// routes, the query of GET /schedules/acks).
type WeekInput struct {
	DepartmentID int64  `json:"department_id"`
	WeekStart    string `json:"week_start"`
}

func (in WeekInput) validate() error {
	f := apperr.Fields{}
	if in.DepartmentID <= 0 {
		f.Add("department_id", "is required")
	}
	if _, err := time.Parse(time.DateOnly, in.WeekStart); err != nil {
		f.Add("week_start", "must be a date, YYYY-MM-DD")
	}
	return f.Err()
}

// AckSubject is the subject of an acknowledgement link.
func AckSubject(deptID int64, weekStart string) string {
	return "week:" + weekStart + ":dept:" + strconv.FormatInt(deptID, 10)
}

func parseAckSubject(s string) (WeekInput, bool) {
	rest, ok := strings.CutPrefix(s, "week:")
	if !ok {
		return WeekInput{}, false
	}
	week, dept, ok := strings.Cut(rest, ":dept:")
	id, err := strconv.ParseInt(dept, 10, 64)
	in := WeekInput{DepartmentID: id, WeekStart: week}
	return in, ok && err == nil && in.validate() == nil
}

// RecordPublish asks each person a publish gave new shifts to acknowledge
// the week, inside the publish's transaction (roster.Service.OnPublish).
// A person asked before for the same week is asked again.
func (s *Service) RecordPublish(ctx context.Context, tx *outbox.Tx, pub roster.Published) error {
	if len(pub.EmployeeIDs) == 0 {
		return nil
	}
	st, err := s.People.GetStore(ctx)
	if err != nil {
		return err
	}
	var remind any
	if st.AckReminderHours > 0 {
		remind = tx.Now().Add(time.Duration(st.AckReminderHours) * time.Hour)
	}
	q := `INSERT INTO schedule_acks (department_id, week_start, user_id, published_at, remind_at) VALUES (?, ?, ?, ?, ?)`
	if tx.DB.IsMySQL() {
		q += ` ON DUPLICATE KEY UPDATE published_at = VALUES(published_at), remind_at = VALUES(remind_at), seen_at = NULL, acked_at = NULL, reminded_at = NULL`
	} else {
		q += ` ON CONFLICT (department_id, week_start, user_id) DO UPDATE SET published_at = excluded.published_at, remind_at = excluded.remind_at,
			seen_at = NULL, acked_at = NULL, reminded_at = NULL`
	}
	for _, uid := range pub.EmployeeIDs {
		if _, err := tx.ExecContext(ctx, q, pub.DepartmentID, pub.WeekStart, uid, tx.Now(), remind); err != nil {
			return fmt.Errorf("comms: record publish: %w", err)
		}
	}
	return nil
}

const weekAckColumns = `k.department_id, d.name, k.week_start, k.user_id, u.first_name, u.last_name, k.published_at, k.seen_at, k.acked_at, k.reminded_at`

const weekAckFrom = ` FROM schedule_acks k JOIN users u ON u.id = k.user_id JOIN departments d ON d.id = k.department_id`

func scanWeekAck(r interface{ Scan(...any) error }) (WeekAck, error) {
	var a WeekAck
	var first, last string
	var seen, acked, reminded sql.NullTime
	err := r.Scan(&a.DepartmentID, &a.DepartmentName, &a.WeekStart, &a.UserID, &first, &last, &a.PublishedAt, &seen, &acked, &reminded)
	a.Name = strings.TrimSpace(first + " " + last)
	a.PublishedAt = a.PublishedAt.UTC()
	a.SeenAt, a.AckedAt, a.RemindedAt = timePtr(seen), timePtr(acked), timePtr(reminded)
	a.setStatus()
	return a, err
}

func queryWeekAcks(ctx context.Context, q querier, where string, args ...any) ([]WeekAck, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+weekAckColumns+weekAckFrom+" WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("comms: schedule acks: %w", err)
	}
	defer rows.Close()
	out := []WeekAck{}
	for rows.Next() {
		a, err := scanWeekAck(rows)
		if err != nil {
			return nil, fmt.Errorf("comms: schedule acks: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// WeekAcks lists, for the managers of a department and admins, every
// person asked to acknowledge the department's week, with where they are.
func (s *Service) WeekAcks(ctx context.Context, p auth.Principal, in WeekInput) ([]WeekAck, error) {
	if err := noKiosk(p); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	if err := auth.RequireManagerOf(p, in.DepartmentID); err != nil {
		return nil, err
	}
	return queryWeekAcks(ctx, s.W.DB, "k.department_id = ? AND k.week_start = ? ORDER BY u.first_name, u.last_name, u.id", in.DepartmentID, in.WeekStart)
}

// MyAcks lists the caller's weeks not yet acknowledged, oldest first.
func (s *Service) MyAcks(ctx context.Context, p auth.Principal) ([]WeekAck, error) {
	if err := noKiosk(p); err != nil {
		return nil, err
	}
	return queryWeekAcks(ctx, s.W.DB, "k.user_id = ? AND k.acked_at IS NULL ORDER BY k.week_start, k.department_id", p.UserID)
}

// MarkWeekSeen records that the caller's screen showed the week's banner
// (the first time only).
func (s *Service) MarkWeekSeen(ctx context.Context, p auth.Principal, in WeekInput) (WeekAck, error) {
	return s.touchWeek(ctx, p, in, false)
}

// AcknowledgeWeek records the caller's "I've seen my schedule".
// Acknowledging again changes nothing.
func (s *Service) AcknowledgeWeek(ctx context.Context, p auth.Principal, in WeekInput) (WeekAck, error) {
	return s.touchWeek(ctx, p, in, true)
}

func (s *Service) touchWeek(ctx context.Context, p auth.Principal, in WeekInput, ack bool) (WeekAck, error) {
	if err := noKiosk(p); err != nil {
		return WeekAck{}, err
	}
	if err := in.validate(); err != nil {
		return WeekAck{}, err
	}
	var out WeekAck
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		var err error
		out, err = touchWeekTx(ctx, tx, p.UserID, in, ack)
		return err
	})
	return out, err
}

// touchWeekTx marks the person's row of the week seen (and, with ack,
// acknowledged) and emits schedule.ack when it changed.
func touchWeekTx(ctx context.Context, tx *outbox.Tx, userID int64, in WeekInput, ack bool) (WeekAck, error) {
	rows, err := queryWeekAcks(ctx, tx, "k.department_id = ? AND k.week_start = ? AND k.user_id = ?"+tx.DB.ForUpdate(), in.DepartmentID, in.WeekStart, userID)
	if err != nil {
		return WeekAck{}, err
	}
	if len(rows) == 0 {
		return WeekAck{}, apperr.NotFoundf("published week to acknowledge")
	}
	a := rows[0]
	now := tx.Now()
	changed := false
	if a.SeenAt == nil {
		a.SeenAt, changed = &now, true
	}
	if ack && a.AckedAt == nil {
		a.AckedAt, changed = &now, true
	}
	if !changed {
		return a, nil
	}
	if _, err := tx.ExecContext(ctx, "UPDATE schedule_acks SET seen_at = ?, acked_at = ? WHERE department_id = ? AND week_start = ? AND user_id = ?",
		a.SeenAt, a.AckedAt, in.DepartmentID, in.WeekStart, userID); err != nil {
		return WeekAck{}, fmt.Errorf("comms: acknowledge week: %w", err)
	}
	a.setStatus()
	tx.EmitManagers(outbox.DeptTopic(in.DepartmentID), EventScheduleAck, a)
	tx.Emit(outbox.UserTopic(userID), EventScheduleAck, a)
	return a, nil
}

// LinkInput is the body of POST /links/schedule-ack.
type LinkInput struct {
	Token string `json:"token"`
}

// AcknowledgeByLink acknowledges the week of an acknowledgement link for
// its person, without signing in. The link works once: a used or expired
// one is 410 gone, an unknown one 404, and then nothing is written.
func (s *Service) AcknowledgeByLink(ctx context.Context, in LinkInput) (WeekAck, error) {
	var out WeekAck
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		l, err := auth.UseLink(ctx, tx, in.Token, AckLinkPurpose, true)
		if err != nil {
			return err
		}
		week, ok := parseAckSubject(l.Subject)
		if !ok {
			return apperr.NotFoundf("link")
		}
		out, err = touchWeekTx(ctx, tx, l.UserID, week, true)
		if err != nil {
			return err
		}
		tx.Audit(outbox.Audit{ActorID: l.UserID, Action: "schedule.ack_link", Entity: "department", EntityID: week.DepartmentID,
			Detail: map[string]any{"week_start": week.WeekStart}})
		return nil
	})
	return out, err
}

// IssueAckLink returns a new acknowledgement link token for the person's
// week (the worker's e-mails).
func (s *Service) IssueAckLink(ctx context.Context, userID int64, in WeekInput) (string, error) {
	var tok string
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		var err error
		tok, err = auth.IssueLink(ctx, tx, AckLinkPurpose, userID, AckSubject(in.DepartmentID, in.WeekStart), AckLinkTTL)
		return err
	})
	return tok, err
}

// Reminder is a department's week whose acknowledgement reminder is due
// at At (the worker's timer).
type Reminder struct {
	DepartmentID int64     `json:"department_id"`
	WeekStart    string    `json:"week_start"`
	At           time.Time `json:"at"`
}

// PendingReminders lists the reminders not yet sent to people who have not
// acknowledged, optionally of one week (the embedded server rebuilds its
// timers from it on start).
func (s *Service) PendingReminders(ctx context.Context, week *WeekInput) ([]Reminder, error) {
	q := `SELECT DISTINCT department_id, week_start, remind_at FROM schedule_acks
		WHERE remind_at IS NOT NULL AND acked_at IS NULL AND reminded_at IS NULL`
	var args []any
	if week != nil {
		q += " AND department_id = ? AND week_start = ?"
		args = append(args, week.DepartmentID, week.WeekStart)
	}
	rows, err := s.W.DB.QueryContext(ctx, q+" ORDER BY remind_at, department_id, week_start", args...)
	if err != nil {
		return nil, fmt.Errorf("comms: pending reminders: %w", err)
	}
	defer rows.Close()
	var out []Reminder
	for rows.Next() {
		var r Reminder
		if err := rows.Scan(&r.DepartmentID, &r.WeekStart, &r.At); err != nil {
			return nil, fmt.Errorf("comms: pending reminders: %w", err)
		}
		r.At = r.At.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// DueReminders lists the people of the week whose reminder is due at now:
// not acknowledged, not reminded, remind_at passed.
func (s *Service) DueReminders(ctx context.Context, in WeekInput, now time.Time) ([]WeekAck, error) {
	return queryWeekAcks(ctx, s.W.DB, `k.department_id = ? AND k.week_start = ? AND k.remind_at IS NOT NULL AND k.remind_at <= ?
		AND k.acked_at IS NULL AND k.reminded_at IS NULL AND u.active = ? ORDER BY k.user_id`, in.DepartmentID, in.WeekStart, now.UTC(), true)
}

// MarkReminded records that the person's one reminder went out.
func (s *Service) MarkReminded(ctx context.Context, in WeekInput, userID int64, at time.Time) error {
	_, err := s.W.DB.ExecContext(ctx, "UPDATE schedule_acks SET reminded_at = ? WHERE department_id = ? AND week_start = ? AND user_id = ? AND reminded_at IS NULL",
		at.UTC(), in.DepartmentID, in.WeekStart, userID)
	if err != nil {
		return fmt.Errorf("comms: mark reminded: %w", err)
	}
	return nil
}
