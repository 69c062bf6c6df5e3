// Package db opens the database (MySQL in production, SQLite when embedded),
// runs migrations and provides the transaction helper with deadlock retry.
//
// Rules every caller follows: raw SQL with explicit column lists and `?`
// placeholders (both dialects accept them), the Context variants of every call,
// and instants passed as UTC time.Time values (see UTC).
package db

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the SQL flavour behind a DB.
type Dialect string

// The supported dialects.
const (
	MySQL  Dialect = "mysql"
	SQLite Dialect = "sqlite"
)

// Pool settings fit for Amazon RDS: connections are recycled before RDS Proxy
// or a failover drops them, and idle ones do not pile up.
const (
	mysqlMaxOpen     = 40
	mysqlMaxIdle     = 20
	mysqlMaxLifetime = 5 * time.Minute
	mysqlMaxIdleTime = time.Minute
	sqliteMaxOpen    = 8
	sqliteBusyMillis = 10000
	// sqliteCheckpointEvery is how often the WAL is copied back into the
	// database file (see checkpoints).
	sqliteCheckpointEvery = time.Second
)

// ErrNotFound is returned by every lookup that finds nothing.
var ErrNotFound = errors.New("not found")

// DB is a *sql.DB that knows its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect

	// writeGate lets this process's SQLite writers take turns (see
	// writeTurn); nil on MySQL.
	writeGate chan struct{}
	// stopCheckpoints ends the SQLite checkpoint loop (Close).
	stopCheckpoints func()

	autoincOnce        sync.Once
	autoincConsecutive bool

	// InterleavedIDs makes ConsecutiveIDs answer no whatever the database,
	// so that code reading ids back (as it must on MySQL 8) can be tested
	// on every database. Set it before the DB is shared.
	InterleavedIDs bool
}

// ConsecutiveIDs reports whether the rows of one multi-row INSERT get
// consecutive AUTO_INCREMENT ids: always on SQLite (one writer at a time);
// on MySQL when innodb_autoinc_lock_mode is 0 or 1 (MariaDB's default; a
// statement of known row count takes one block of ids), not under 2 (MySQL
// 8's default), where concurrent inserts interleave. Read once; when it
// cannot be read the answer is no.
func (d *DB) ConsecutiveIDs(ctx context.Context) bool {
	if d.InterleavedIDs {
		return false
	}
	if !d.IsMySQL() {
		return true
	}
	d.autoincOnce.Do(func() {
		var mode int
		if err := d.QueryRowContext(ctx, "SELECT @@innodb_autoinc_lock_mode").Scan(&mode); err == nil {
			d.autoincConsecutive = mode < 2
		}
	})
	return d.autoincConsecutive
}

// IsMySQL reports whether the database speaks MySQL.
func (d *DB) IsMySQL() bool { return d.Dialect == MySQL }

// ForUpdate is the row-locking suffix for SELECTs inside a write transaction.
// SQLite needs none: its write transactions are BEGIN IMMEDIATE and so hold
// the database's single write lock from their first statement.
func (d *DB) ForUpdate() string {
	if d.IsMySQL() {
		return " FOR UPDATE"
	}
	return ""
}

// ForShare is ForUpdate's shared twin: the rows read stay as read until
// COMMIT, and other readers may take them too.
func (d *DB) ForShare() string {
	if d.IsMySQL() {
		return " LOCK IN SHARE MODE"
	}
	return ""
}

// CredentialsFunc supplies MySQL credentials before each new connection
// (Secrets Manager rotation). It may return cached values.
type CredentialsFunc func(ctx context.Context, refresh bool) (user, password string, err error)

// Options tune Open.
type Options struct {
	// Credentials, when set, overrides the user and password of a mysql URL.
	Credentials CredentialsFunc
	// CAFile, when set, is a PEM bundle of the certificate authorities of
	// the MySQL server (Amazon RDS's bundle in production): connections use
	// TLS 1.2 or later and verify the server's certificate and name
	// against it.
	CAFile string
}

// Open connects to the database named by rawURL: "mysql://user:pass@host:3306/db"
// or "sqlite:///path/to/file.db". It does not run migrations.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("db: parse url: %w", err)
	}
	var d *DB
	switch u.Scheme {
	case "mysql":
		d, err = openMySQL(u, opts)
	case "sqlite":
		d, err = openSQLite(u.Path)
	default:
		return nil, fmt.Errorf("db: unsupported scheme %q", u.Scheme)
	}
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for attempt := 1; ; attempt++ {
		err = d.PingContext(pingCtx)
		// A fresh SQLite file opened by several processes at once may be
		// briefly locked while one of them switches it to WAL.
		if err == nil || d.IsMySQL() || !IsRetryable(err) || attempt == maxTxAttempts {
			break
		}
		time.Sleep(time.Duration(attempt*50) * time.Millisecond)
	}
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("db: ping: %w", err)
	}
	return d, nil
}

// MySQLConfig turns a mysql:// URL into a driver config with the settings
// CrumbCommander relies on: UTC everywhere and parsed DATETIMEs.
func MySQLConfig(u *url.URL) *mysql.Config {
	c := mysql.NewConfig()
	c.Net = "tcp"
	c.Addr = u.Host
	if u.Port() == "" {
		c.Addr = u.Host + ":3306"
	}
	c.DBName = strings.TrimPrefix(u.Path, "/")
	if u.User != nil {
		c.User = u.User.Username()
		c.Passwd, _ = u.User.Password()
	}
	c.ParseTime = true
	c.Loc = time.UTC
	// Client-side interpolation: one round trip per statement instead of
	// prepare + execute + close. Safe with the utf8mb4 connection charset
	// (the driver refuses to interpolate under charsets where it is not).
	c.InterpolateParams = true
	c.Params = map[string]string{"time_zone": "'+00:00'"}
	if v := u.Query().Get("tls"); v != "" {
		c.TLSConfig = v
	}
	c.Timeout = 10 * time.Second
	c.ReadTimeout = 60 * time.Second
	c.WriteTimeout = 60 * time.Second
	return c
}

func openMySQL(u *url.URL, opts Options) (*DB, error) {
	cfg := MySQLConfig(u)
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("db: database CA file: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("db: database CA file %s holds no PEM certificate", opts.CAFile)
		}
		cfg.TLS = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	if opts.Credentials != nil {
		creds := opts.Credentials
		if err := cfg.Apply(mysql.BeforeConnect(func(ctx context.Context, c *mysql.Config) error {
			user, pass, err := creds(ctx, false)
			if err != nil {
				return err
			}
			c.User, c.Passwd = user, pass
			return nil
		})); err != nil {
			return nil, fmt.Errorf("db: mysql config: %w", err)
		}
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("db: mysql connector: %w", err)
	}
	if opts.Credentials != nil {
		conn = refreshingConnector{Connector: conn, creds: opts.Credentials}
	}
	sdb := sql.OpenDB(conn)
	sdb.SetMaxOpenConns(mysqlMaxOpen)
	sdb.SetMaxIdleConns(mysqlMaxIdle)
	sdb.SetConnMaxLifetime(mysqlMaxLifetime)
	sdb.SetConnMaxIdleTime(mysqlMaxIdleTime)
	return &DB{DB: sdb, Dialect: MySQL}, nil
}

// refreshingConnector re-reads rotated credentials when MySQL refuses the
// cached ones, then tries once more.
type refreshingConnector struct {
	driver.Connector
	creds CredentialsFunc
}

func (c refreshingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err == nil || !IsAuthFailure(err) {
		return conn, err
	}
	if _, _, rerr := c.creds(ctx, true); rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	return c.Connector.Connect(ctx)
}

func openSQLite(path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("db: create data dir: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyMillis))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "wal_autocheckpoint(0)") // see checkpoints
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	sdb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite: %w", err)
	}
	sdb.SetMaxOpenConns(sqliteMaxOpen)
	sdb.SetMaxIdleConns(sqliteMaxOpen)
	d := &DB{DB: sdb, Dialect: SQLite, writeGate: make(chan struct{}, 1)}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.checkpoints(stop)
	}()
	var once sync.Once
	d.stopCheckpoints = func() { once.Do(func() { close(stop); <-done }) }
	return d, nil
}

// checkpoints copies the WAL back into the database file every
// sqliteCheckpointEvery until stop is closed. SQLite's own automatic
// checkpoint runs inside the COMMIT that crosses 1,000 WAL pages and
// fsyncs twice there: that write's answer, and the live events it
// notifies, would wait for the disk (measured: 18 to 40 ms on this
// machine's disk, once every hundred or so writes). A PASSIVE checkpoint
// on its own connection takes no write lock, so writers go on meanwhile;
// with nothing new in the WAL it does nothing. When the last connection
// closes, SQLite checkpoints what is left.
func (d *DB) checkpoints(stop <-chan struct{}) {
	t := time.NewTicker(sqliteCheckpointEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), sqliteCheckpointEvery*10)
		// d.DB.ExecContext: the checkpointer is not a writer and must not
		// wait for a writer's turn (writeTurn).
		d.DB.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		cancel()
	}
}

// Close stops SQLite's checkpoint loop and closes the pool.
func (d *DB) Close() error {
	if d.stopCheckpoints != nil {
		d.stopCheckpoints()
	}
	return d.DB.Close()
}

// UTC normalises an instant for storage. SQLite compares instants as text, so
// every stored and compared value must carry the same (UTC) offset.
func UTC(t time.Time) time.Time { return t.UTC() }

// IsRetryable reports whether err is a deadlock, lock timeout or busy
// database: the transaction may be retried from the start.
func IsRetryable(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// IsDuplicate reports whether err is a unique-key violation.
func IsDuplicate(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKey reports whether err is a foreign-key violation.
func IsForeignKey(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1451 || me.Number == 1452
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// IsConnLost reports whether err is the connection to the database breaking.
// A transaction whose COMMIT was under way when it broke may have committed.
func IsConnLost(err error) bool {
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn)
}

// IsAuthFailure reports whether err is MySQL refusing the credentials, the
// sign that a rotated secret must be fetched again.
func IsAuthFailure(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1045
}

const maxTxAttempts = 5

// InTx runs fn in a transaction, committing when it returns nil and rolling
// back otherwise. Deadlocks and busy errors retry fn from the start with a
// short backoff, so fn must not have side effects outside the transaction.
func (d *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return d.InTxOptions(ctx, nil, fn)
}

// InTxOptions is InTx with transaction options (an isolation level). SQLite
// transactions are always serializable; opts apply on MySQL only.
func (d *DB) InTxOptions(ctx context.Context, opts *sql.TxOptions, fn func(tx *sql.Tx) error) error {
	if !d.IsMySQL() {
		opts = nil
	}
	var err error
	for attempt := 1; ; attempt++ {
		err = d.inTxOnce(ctx, opts, fn)
		if err == nil || !IsRetryable(err) || attempt == maxTxAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
}

// writeTurn waits for this process's turn to write to SQLite and returns
// the function that ends it. SQLite has one writer at a time; a second one
// finds the database busy and its busy handler sleeps (1, 2, 5 ms and
// more) before trying again, which puts milliseconds on a write that
// needed microseconds. Writers of one process queue here instead and
// start the moment the previous one is done; other processes still meet
// the busy handler. A turn not had within the busy timeout is taken
// anyway (SQLite's own locking stays the guard), so a writer never waits
// on this longer than it would have on SQLite. No-op on MySQL.
func (d *DB) writeTurn(ctx context.Context) (done func()) {
	if d.writeGate == nil {
		return func() {}
	}
	release := func() { <-d.writeGate }
	select {
	case d.writeGate <- struct{}{}: // free: no timer needed
		return release
	default:
	}
	t := time.NewTimer(sqliteBusyMillis * time.Millisecond)
	defer t.Stop()
	select {
	case d.writeGate <- struct{}{}:
		return release
	case <-ctx.Done():
	case <-t.C:
	}
	return func() {}
}

// ExecContext is sql.DB's, taking this process's SQLite write turn (see
// writeTurn) for the statement.
func (d *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	defer d.writeTurn(ctx)()
	return d.DB.ExecContext(ctx, query, args...)
}

// Exec is ExecContext without a context.
func (d *DB) Exec(query string, args ...any) (sql.Result, error) {
	return d.ExecContext(context.Background(), query, args...)
}

func (d *DB) inTxOnce(ctx context.Context, opts *sql.TxOptions, fn func(tx *sql.Tx) error) error {
	// Every SQLite transaction here is BEGIN IMMEDIATE: a writer.
	defer d.writeTurn(ctx)()
	tx, err := d.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// Scanner is a row (*sql.Row or *sql.Rows) to scan.
type Scanner = interface{ Scan(...any) error }

// Collect scans every row with scan and closes rows. The result is never
// nil (an empty list renders as []).
func Collect[T any](rows *sql.Rows, scan func(Scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
