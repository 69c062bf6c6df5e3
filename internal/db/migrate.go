package db

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Migration is one numbered SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ErrSchemaTooNew means the database was migrated by a newer release.
type ErrSchemaTooNew struct{ DB, Code int }

func (e *ErrSchemaTooNew) Error() string {
	return fmt.Sprintf("db: database schema version %d is newer than this binary knows (%d); run a newer release", e.DB, e.Code)
}

const migrateLockName = "crumb_migrate"

// LoadMigrations reads the migrations of dialect d from fsys (laid out as
// <dialect>/NNNN_name.sql), sorted by version.
func LoadMigrations(fsys fs.FS, d Dialect) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, string(d))
	if err != nil {
		return nil, fmt.Errorf("db: read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("db: migration %q: want NNNN_name.sql", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(string(d), name))
		if err != nil {
			return nil, fmt.Errorf("db: read migration %s: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("db: two migrations numbered %d", out[i].Version)
		}
	}
	return out, nil
}

// Migrate applies every migration not yet recorded in schema_version. It is
// safe when several instances start at once: MySQL serialises them with
// GET_LOCK, SQLite with its write lock. It refuses a database whose newest
// applied version is unknown to this binary.
func (d *DB) Migrate(ctx context.Context, fsys fs.FS) (applied []int, err error) {
	// SQLite answers "database is locked" without waiting in a few cases
	// (switching a fresh file to WAL while another process does the same);
	// migrating is idempotent, so try again.
	for attempt := 1; ; attempt++ {
		applied, err = d.migrate(ctx, fsys)
		if err == nil || d.IsMySQL() || !IsRetryable(err) || attempt == maxTxAttempts {
			return applied, err
		}
		time.Sleep(time.Duration(attempt*50) * time.Millisecond)
	}
}

func (d *DB) migrate(ctx context.Context, fsys fs.FS) (applied []int, err error) {
	ms, err := LoadMigrations(fsys, d.Dialect)
	if err != nil {
		return nil, err
	}
	conn, err := d.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: migrate: %w", err)
	}
	defer conn.Close()
	if d.IsMySQL() {
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 120)", migrateLockName).Scan(&got); err != nil {
			return nil, fmt.Errorf("db: migrate lock: %w", err)
		}
		if !got.Valid || got.Int64 != 1 {
			return nil, fmt.Errorf("db: migrate lock: timed out waiting for another instance")
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", migrateLockName)
	}
	// Created only when missing: the app's own MySQL user may not change
	// the schema (crumb migrate provisions it with DML only, see
	// EnsureAppUser), and CREATE TABLE IF NOT EXISTS needs the CREATE
	// privilege even when the table is there.
	var have int
	exists := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
	if d.IsMySQL() {
		exists = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'schema_version'"
	}
	if err := conn.QueryRowContext(ctx, exists).Scan(&have); err != nil {
		return nil, fmt.Errorf("db: find schema_version: %w", err)
	}
	if have == 0 {
		// IF NOT EXISTS still: two SQLite processes may both find it missing.
		if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version INTEGER NOT NULL PRIMARY KEY,
			name VARCHAR(200) NOT NULL,
			applied_at DATETIME NOT NULL)`); err != nil {
			return nil, fmt.Errorf("db: create schema_version: %w", err)
		}
	}
	done, err := appliedVersions(ctx, conn)
	if err != nil {
		return nil, err
	}
	if len(ms) > 0 && len(done) > 0 {
		if top := slices.Max(done); top > ms[len(ms)-1].Version {
			return nil, &ErrSchemaTooNew{DB: top, Code: ms[len(ms)-1].Version}
		}
	}
	for _, m := range ms {
		if slices.Contains(done, m.Version) {
			continue
		}
		if err := d.apply(ctx, conn, m); err != nil {
			return applied, err
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// SchemaVersion returns the newest applied migration, 0 on an empty database.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := d.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_version").Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("db: schema version: %w", err)
	}
	return int(v.Int64), nil
}

func appliedVersions(ctx context.Context, conn *sql.Conn) ([]int, error) {
	rows, err := conn.QueryContext(ctx, "SELECT version FROM schema_version")
	if err != nil {
		return nil, fmt.Errorf("db: read schema_version: %w", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("db: read schema_version: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// apply runs one migration. SQLite runs it in one transaction; MySQL commits
// DDL implicitly, so a failed MySQL migration must be written to be re-runnable
// (CREATE TABLE IF NOT EXISTS and the like).
func (d *DB) apply(ctx context.Context, conn *sql.Conn, m Migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: migration %s: %w", m.Name, err)
	}
	defer tx.Rollback()
	if !d.IsMySQL() {
		// Another process may have applied it while we waited for the lock.
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_version WHERE version = ?", m.Version).Scan(&n); err != nil {
			return fmt.Errorf("db: migration %s: %w", m.Name, err)
		}
		if n > 0 {
			return nil
		}
	}
	for _, stmt := range SplitStatements(m.SQL) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			if IsDenied(err) {
				return fmt.Errorf("db: migration %s: %w (this MySQL user may not change the schema: run crumb migrate with the admin credentials first)", m.Name, err)
			}
			return fmt.Errorf("db: migration %s: %w", m.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
		m.Version, m.Name, time.Now().UTC()); err != nil {
		return fmt.Errorf("db: migration %s: record: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: migration %s: commit: %w", m.Name, err)
	}
	return nil
}

// SplitStatements splits a migration on semicolons that end a line, dropping
// comment-only lines. Migrations keep one statement per terminated line group.
func SplitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			if s := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"); s != "" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
