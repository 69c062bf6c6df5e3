package comms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
)

// Limits of a post, in characters.
const (
	MaxTitle = 200
	MaxBody  = 4000
	// MaxDepartments bounds the departments one post names.
	MaxDepartments = 100
	// ListLimit bounds the announcements a list returns.
	ListLimit = 100
)

// AnnouncementInput is the body of POST /announcements.
type AnnouncementInput struct {
	Title         string     `json:"title"`
	Body          string     `json:"body"`
	DepartmentIDs []int64    `json:"department_ids"`
	StoreWide     bool       `json:"store_wide"`
	Pinned        bool       `json:"pinned"`
	NeedsAck      bool       `json:"needs_ack"`
	ExpiresAt     *time.Time `json:"expires_at"`
}

// Announcement is a post, with the caller's own read when it is addressed
// to them (ForMe).
type Announcement struct {
	ID            int64      `json:"id"`
	AuthorID      int64      `json:"author_id"`
	AuthorName    string     `json:"author_name"`
	Title         string     `json:"title"`
	Body          string     `json:"body"`
	DepartmentIDs []int64    `json:"department_ids"`
	StoreWide     bool       `json:"store_wide"`
	Pinned        bool       `json:"pinned"`
	NeedsAck      bool       `json:"needs_ack"`
	ExpiresAt     *time.Time `json:"expires_at"`
	CreatedAt     time.Time  `json:"created_at"`
	ForMe         bool       `json:"for_me"`
	SeenAt        *time.Time `json:"seen_at"`
	AckedAt       *time.Time `json:"acked_at"`
}

// readable reports whether p may read a: admins everything, the author
// their own posts, everyone else what is addressed to them.
func (a Announcement) readable(p auth.Principal) bool {
	return p.IsAdmin() || a.AuthorID == p.UserID || a.addressedTo(p)
}

func (a Announcement) addressedTo(p auth.Principal) bool {
	return a.StoreWide || p.SharesDept(a.DepartmentIDs)
}

func validatePost(p auth.Principal, in AnnouncementInput, now time.Time) error {
	f := apperr.Fields{}
	title := strings.TrimSpace(in.Title)
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		f.Add("title", "is required")
	case n > MaxTitle:
		f.Add("title", fmt.Sprintf("must be at most %d characters", MaxTitle))
	}
	switch n := utf8.RuneCountInString(strings.TrimSpace(in.Body)); {
	case n == 0:
		f.Add("body", "is required")
	case n > MaxBody:
		f.Add("body", fmt.Sprintf("must be at most %d characters", MaxBody))
	}
	switch {
	case in.StoreWide && len(in.DepartmentIDs) > 0:
		f.Add("department_ids", "must be empty for a store-wide post")
	case !in.StoreWide && len(in.DepartmentIDs) == 0:
		f.Add("department_ids", "name at least one department, or post store-wide")
	case len(in.DepartmentIDs) > MaxDepartments:
		f.Add("department_ids", fmt.Sprintf("must name at most %d departments", MaxDepartments))
	}
	for i, d := range in.DepartmentIDs {
		if d <= 0 {
			f.Add(fmt.Sprintf("department_ids[%d]", i), "must be a department id")
		}
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		f.Add("expires_at", "must be in the future")
	}
	if err := f.Err(); err != nil {
		return err
	}
	if in.StoreWide {
		return auth.RequireAdmin(p)
	}
	for _, d := range in.DepartmentIDs {
		if !p.Manages(d) {
			return auth.ErrForbidden
		}
	}
	return nil
}

// Post publishes an announcement. Managers post to departments they manage,
// admins to any or to the whole store. Text is checked (CheckText), the
// body is at most MaxBody characters, and every department must exist;
// otherwise nothing is written.
func (s *Service) Post(ctx context.Context, p auth.Principal, in AnnouncementInput) (Announcement, error) {
	if err := noKiosk(p); err != nil {
		return Announcement{}, err
	}
	if err := auth.RequireManager(p); err != nil {
		return Announcement{}, err
	}
	if err := apperr.CheckText(in); err != nil {
		return Announcement{}, err
	}
	if err := validatePost(p, in, s.W.Clock()); err != nil {
		return Announcement{}, err
	}
	depts := slices.Clone(in.DepartmentIDs)
	slices.Sort(depts)
	depts = slices.Compact(depts)
	var out Announcement
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		topics, err := postTopics(ctx, tx, in.StoreWide, depts)
		if err != nil {
			return err
		}
		var expires any
		if in.ExpiresAt != nil {
			expires = in.ExpiresAt.UTC()
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO announcements (author_id, title, body, store_wide, pinned, needs_ack, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.UserID, strings.TrimSpace(in.Title), strings.TrimSpace(in.Body), in.StoreWide, in.Pinned, in.NeedsAck, expires, tx.Now())
		if err != nil {
			return fmt.Errorf("comms: post: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("comms: post: %w", err)
		}
		for _, d := range depts {
			if _, err := tx.ExecContext(ctx, "INSERT INTO announcement_departments (announcement_id, department_id) VALUES (?, ?)", id, d); err != nil {
				return fmt.Errorf("comms: post: %w", err)
			}
		}
		out, err = getAnnouncement(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, t := range topics {
			tx.Emit(t, EventAnnouncementPosted, out)
		}
		tx.Audit(outbox.Audit{ActorID: p.UserID, Action: "announcement.post", Entity: "announcement", EntityID: id,
			Detail: map[string]any{"title": out.Title, "department_ids": out.DepartmentIDs, "store_wide": out.StoreWide}})
		return nil
	})
	if err != nil {
		return Announcement{}, err
	}
	out.ForMe = out.addressedTo(p)
	return out, nil
}

// postTopics checks that every department exists and returns the topics
// the post goes to: the named departments', or every department's.
func postTopics(ctx context.Context, tx *outbox.Tx, storeWide bool, depts []int64) ([]string, error) {
	q, args := "SELECT id FROM departments ORDER BY id", []any(nil)
	if !storeWide {
		q = "SELECT id FROM departments WHERE id IN (" + db.Placeholders(len(depts)) + ") ORDER BY id"
		for _, d := range depts {
			args = append(args, d)
		}
	}
	found, err := queryIDs(ctx, tx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("comms: departments: %w", err)
	}
	if !storeWide {
		f := apperr.Fields{}
		for i, d := range depts {
			if !slices.Contains(found, d) {
				f.Add(fmt.Sprintf("department_ids[%d]", i), fmt.Sprintf("no department %d", d))
			}
		}
		if err := f.Err(); err != nil {
			return nil, err
		}
	}
	topics := make([]string, len(found))
	for i, d := range found {
		topics[i] = outbox.DeptTopic(d)
	}
	if len(topics) == 0 {
		topics = []string{outbox.TopicStore}
	}
	return topics, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func queryIDs(ctx context.Context, q querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

const announcementColumns = `a.id, a.author_id, u.first_name, u.last_name, a.title, a.body, a.store_wide, a.pinned, a.needs_ack, a.expires_at, a.created_at`

func scanAnnouncement(r db.Scanner, extra ...any) (Announcement, error) {
	var a Announcement
	var first, last string
	var expires sql.NullTime
	err := r.Scan(append([]any{&a.ID, &a.AuthorID, &first, &last, &a.Title, &a.Body, &a.StoreWide, &a.Pinned, &a.NeedsAck, &expires, &a.CreatedAt}, extra...)...)
	a.AuthorName = strings.TrimSpace(first + " " + last)
	a.ExpiresAt = timePtr(expires)
	a.CreatedAt = a.CreatedAt.UTC()
	a.DepartmentIDs = []int64{}
	return a, err
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// getAnnouncement reads one post with its departments; db.ErrNotFound when
// there is none.
func getAnnouncement(ctx context.Context, q querier, id int64) (Announcement, error) {
	a, err := scanAnnouncement(q.QueryRowContext(ctx, "SELECT "+announcementColumns+" FROM announcements a JOIN users u ON u.id = a.author_id WHERE a.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, db.ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("comms: announcement: %w", err)
	}
	if a.DepartmentIDs, err = queryIDs(ctx, q, "SELECT department_id FROM announcement_departments WHERE announcement_id = ? ORDER BY department_id", id); err != nil {
		return a, fmt.Errorf("comms: announcement: %w", err)
	}
	if a.DepartmentIDs == nil {
		a.DepartmentIDs = []int64{}
	}
	return a, nil
}

// Announcement returns one post the caller may read (404 otherwise), with
// the caller's read.
func (s *Service) Announcement(ctx context.Context, p auth.Principal, id int64) (Announcement, error) {
	if err := noKiosk(p); err != nil {
		return Announcement{}, err
	}
	a, err := s.readable(ctx, s.W.DB, p, id)
	if err != nil {
		return a, err
	}
	var seen, acked sql.NullTime
	err = s.W.DB.QueryRowContext(ctx, "SELECT seen_at, acked_at FROM announcement_reads WHERE announcement_id = ? AND user_id = ?", id, p.UserID).Scan(&seen, &acked)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("comms: announcement: %w", err)
	}
	a.SeenAt, a.AckedAt = timePtr(seen), timePtr(acked)
	return a, nil
}

func (s *Service) readable(ctx context.Context, q querier, p auth.Principal, id int64) (Announcement, error) {
	a, err := getAnnouncement(ctx, q, id)
	if errors.Is(err, db.ErrNotFound) || (err == nil && !a.readable(p)) {
		return Announcement{}, apperr.NotFoundf("announcement")
	}
	a.ForMe = a.addressedTo(p)
	return a, err
}

// List returns the announcements the caller may read that have not
// expired: pinned first, then newest first, each with the caller's read.
func (s *Service) List(ctx context.Context, p auth.Principal) ([]Announcement, error) {
	if err := noKiosk(p); err != nil {
		return nil, err
	}
	now := s.W.Clock().UTC()
	where, args := "1 = 1", []any{}
	if !p.IsAdmin() {
		where = "(a.store_wide = ? OR a.author_id = ?"
		args = append(args, true, p.UserID)
		if len(p.DeptIDs) > 0 {
			where += " OR a.id IN (SELECT announcement_id FROM announcement_departments WHERE department_id IN (" + db.Placeholders(len(p.DeptIDs)) + "))"
			for _, d := range p.DeptIDs {
				args = append(args, d)
			}
		}
		where += ")"
	}
	q := "SELECT " + announcementColumns + `, r.seen_at, r.acked_at FROM announcements a JOIN users u ON u.id = a.author_id
		LEFT JOIN announcement_reads r ON r.announcement_id = a.id AND r.user_id = ?
		WHERE (a.expires_at IS NULL OR a.expires_at > ?) AND ` + where + `
		ORDER BY a.pinned DESC, a.created_at DESC, a.id DESC LIMIT ?`
	rows, err := s.W.DB.QueryContext(ctx, q, append(append([]any{p.UserID, now}, args...), ListLimit)...)
	if err != nil {
		return nil, fmt.Errorf("comms: list announcements: %w", err)
	}
	defer rows.Close()
	out := []Announcement{}
	byID := map[int64]int{}
	for rows.Next() {
		var seen, acked sql.NullTime
		a, err := scanAnnouncement(rows, &seen, &acked)
		if err != nil {
			return nil, fmt.Errorf("comms: list announcements: %w", err)
		}
		a.SeenAt, a.AckedAt = timePtr(seen), timePtr(acked)
		byID[a.ID] = len(out)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("comms: list announcements: %w", err)
	}
	rows.Close()
	if err := s.fillDepartments(ctx, out, byID); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].ForMe = out[i].addressedTo(p)
	}
	return out, nil
}

func (s *Service) fillDepartments(ctx context.Context, out []Announcement, byID map[int64]int) error {
	if len(out) == 0 {
		return nil
	}
	args := make([]any, len(out))
	for i, a := range out {
		args[i] = a.ID
	}
	rows, err := s.W.DB.QueryContext(ctx, "SELECT announcement_id, department_id FROM announcement_departments WHERE announcement_id IN ("+
		db.Placeholders(len(out))+") ORDER BY announcement_id, department_id", args...)
	if err != nil {
		return fmt.Errorf("comms: announcement departments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a, d int64
		if err := rows.Scan(&a, &d); err != nil {
			return fmt.Errorf("comms: announcement departments: %w", err)
		}
		out[byID[a]].DepartmentIDs = append(out[byID[a]].DepartmentIDs, d)
	}
	return rows.Err()
}
