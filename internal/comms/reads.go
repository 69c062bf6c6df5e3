package comms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/people"
)

// MaxSeenBatch bounds the announcements one "seen" call marks.
const MaxSeenBatch = 100

// Read is one recipient's read of a post: the payload of
// announcement.read, and a row of GET /announcements/{id}/reads.
type Read struct {
	AnnouncementID int64      `json:"announcement_id"`
	UserID         int64      `json:"user_id"`
	Name           string     `json:"name,omitempty"`
	SeenAt         *time.Time `json:"seen_at"`
	AckedAt        *time.Time `json:"acked_at"`
	// Status is "not_yet", "seen" or "acknowledged".
	Status string `json:"status"`
}

func (r *Read) setStatus() {
	switch {
	case r.AckedAt != nil:
		r.Status = "acknowledged"
	case r.SeenAt != nil:
		r.Status = "seen"
	default:
		r.Status = "not_yet"
	}
}

// SeenInput is the body of POST /announcements/seen.
type SeenInput struct {
	IDs []int64 `json:"ids"`
}

// MarkSeen records that the caller's screen showed the posts: the first
// time only, for posts addressed to them (others are skipped). It returns
// the reads it recorded now. Calls that arrive together commit in one
// transaction (seenBatch), so that 2,000 people opening a post at once cost
// a few write transactions, not 2,000.
func (s *Service) MarkSeen(ctx context.Context, p auth.Principal, in SeenInput) ([]Read, error) {
	if err := noKiosk(p); err != nil {
		return nil, err
	}
	if len(in.IDs) == 0 || len(in.IDs) > MaxSeenBatch {
		return nil, apperr.Field("ids", fmt.Sprintf("must name 1 to %d announcements", MaxSeenBatch))
	}
	ids := slices.Clone(in.IDs)
	slices.Sort(ids)
	return s.seen.do(ctx, s, seenReq{p: p, ids: slices.Compact(ids)})
}

// markSeenTx records one caller's reads inside tx; posts caches the
// announcements read so far in the transaction.
func markSeenTx(ctx context.Context, tx *outbox.Tx, posts map[int64]*Announcement, r seenReq) ([]Read, error) {
	out := []Read{}
	for _, id := range r.ids {
		a, ok := posts[id]
		if !ok {
			got, err := getAnnouncement(ctx, tx, id)
			if err != nil && !errors.Is(err, db.ErrNotFound) {
				return nil, err
			}
			if err == nil {
				a = &got
			}
			posts[id] = a
		}
		if a == nil || !a.addressedTo(r.p) {
			continue
		}
		res, err := tx.ExecContext(ctx, insertIgnore(tx.DB)+" INTO announcement_reads (announcement_id, user_id, seen_at) VALUES (?, ?, ?)"+onConflictNothing(tx.DB),
			id, r.p.UserID, tx.Now())
		if err != nil {
			return nil, fmt.Errorf("comms: mark seen: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		now := tx.Now()
		rd := Read{AnnouncementID: id, UserID: r.p.UserID, SeenAt: &now}
		rd.setStatus()
		emitRead(tx, *a, r.p, rd)
		out = append(out, rd)
	}
	return out, nil
}

func insertIgnore(d *db.DB) string {
	if d.IsMySQL() {
		return "INSERT IGNORE"
	}
	return "INSERT"
}

func onConflictNothing(d *db.DB) string {
	if d.IsMySQL() {
		return ""
	}
	return " ON CONFLICT DO NOTHING"
}

// emitRead tells the managers of the reader's addressed departments (the
// admins, for a store-wide post) and the reader's own screens.
func emitRead(tx *outbox.Tx, a Announcement, p auth.Principal, r Read) {
	if a.StoreWide {
		tx.Emit(outbox.TopicStore, EventAnnouncementRead, r)
	} else {
		for _, d := range a.DepartmentIDs {
			if p.InDept(d) {
				tx.EmitManagers(outbox.DeptTopic(d), EventAnnouncementRead, r)
			}
		}
	}
	tx.Emit(outbox.UserTopic(p.UserID), EventAnnouncementRead, r)
}

// Acknowledge records that the caller acknowledged a post that asks for
// it (and, if it was never marked, that they saw it). Acknowledging again
// changes nothing.
func (s *Service) Acknowledge(ctx context.Context, p auth.Principal, id int64) (Read, error) {
	if err := noKiosk(p); err != nil {
		return Read{}, err
	}
	var out Read
	err := s.W.Do(ctx, func(tx *outbox.Tx) error {
		a, err := s.readable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !a.ForMe {
			return errNotAddressed
		}
		if !a.NeedsAck {
			return apperr.New(apperr.Conflict, "this announcement does not ask for acknowledgement")
		}
		var seen, acked sql.NullTime
		err = tx.QueryRowContext(ctx, "SELECT seen_at, acked_at FROM announcement_reads WHERE announcement_id = ? AND user_id = ?"+tx.DB.ForUpdate(), id, p.UserID).Scan(&seen, &acked)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, "INSERT INTO announcement_reads (announcement_id, user_id, seen_at, acked_at) VALUES (?, ?, ?, ?)", id, p.UserID, tx.Now(), tx.Now())
			seen = sql.NullTime{Time: tx.Now(), Valid: true}
		case err != nil:
		case acked.Valid:
			out = Read{AnnouncementID: id, UserID: p.UserID, SeenAt: timePtr(seen), AckedAt: timePtr(acked)}
			out.setStatus()
			return nil
		default:
			_, err = tx.ExecContext(ctx, "UPDATE announcement_reads SET acked_at = ? WHERE announcement_id = ? AND user_id = ?", tx.Now(), id, p.UserID)
		}
		if err != nil {
			return fmt.Errorf("comms: acknowledge: %w", err)
		}
		now := tx.Now()
		out = Read{AnnouncementID: id, UserID: p.UserID, SeenAt: timePtr(seen), AckedAt: &now}
		out.setStatus()
		emitRead(tx, a, p, out)
		return nil
	})
	return out, err
}

// recipientsWhere is the condition on users u of the people a post is
// addressed to: active people (not kiosks) of its departments, or everyone
// for a store-wide post.
const recipientsWhere = `u.active = ? AND u.role <> ? AND (a.store_wide = ? OR u.id IN (SELECT ud.user_id FROM user_departments ud
	JOIN announcement_departments ad ON ad.department_id = ud.department_id WHERE ad.announcement_id = a.id))`

// Reads lists every recipient of a post with their read. Admins and the
// author see everyone; a manager of an addressed department sees the
// recipients of the departments they manage.
func (s *Service) Reads(ctx context.Context, p auth.Principal, id int64) ([]Read, error) {
	if err := noKiosk(p); err != nil {
		return nil, err
	}
	a, err := s.readable(ctx, s.W.DB, p, id)
	if err != nil {
		return nil, err
	}
	managesOne := slices.ContainsFunc(a.DepartmentIDs, p.Manages)
	if !p.IsAdmin() && a.AuthorID != p.UserID && !managesOne {
		return nil, auth.ErrForbidden
	}
	vis, vargs := "1 = 1", []any(nil)
	if !p.IsAdmin() && a.AuthorID != p.UserID {
		vis, vargs = people.VisibleTo(p, "u.id")
	}
	q := `SELECT u.id, u.first_name, u.last_name, r.seen_at, r.acked_at FROM announcements a JOIN users u ON ` + recipientsWhere + `
		LEFT JOIN announcement_reads r ON r.announcement_id = a.id AND r.user_id = u.id
		WHERE a.id = ? AND ` + vis + ` ORDER BY u.first_name, u.last_name, u.id`
	rows, err := s.W.DB.QueryContext(ctx, q, append([]any{true, string(auth.RoleKiosk), true, id}, vargs...)...)
	if err != nil {
		return nil, fmt.Errorf("comms: reads: %w", err)
	}
	defer rows.Close()
	out := []Read{}
	for rows.Next() {
		r := Read{AnnouncementID: id}
		var first, last string
		var seen, acked sql.NullTime
		if err := rows.Scan(&r.UserID, &first, &last, &seen, &acked); err != nil {
			return nil, fmt.Errorf("comms: reads: %w", err)
		}
		r.Name = strings.TrimSpace(first + " " + last)
		r.SeenAt, r.AckedAt = timePtr(seen), timePtr(acked)
		r.setStatus()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Recipients returns a post and the ids of the people it is addressed to,
// its author left out (the worker's e-mail and push). db.ErrNotFound when
// the post is gone.
func (s *Service) Recipients(ctx context.Context, id int64) (Announcement, []int64, error) {
	a, err := getAnnouncement(ctx, s.W.DB, id)
	if err != nil {
		return a, nil, err
	}
	ids, err := queryIDs(ctx, s.W.DB, `SELECT u.id FROM announcements a JOIN users u ON `+recipientsWhere+` WHERE a.id = ? AND u.id <> a.author_id ORDER BY u.id`,
		true, string(auth.RoleKiosk), true, id)
	if err != nil {
		return a, nil, fmt.Errorf("comms: recipients: %w", err)
	}
	return a, ids, nil
}
