package db_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/migrations"
)

func TestMigrationsPairUp(t *testing.T) {
	my, err := db.LoadMigrations(migrations.FS, db.MySQL)
	if err != nil {
		t.Fatal(err)
	}
	lite, err := db.LoadMigrations(migrations.FS, db.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if len(my) != len(lite) {
		t.Fatalf("mysql has %d migrations, sqlite %d", len(my), len(lite))
	}
	for i := range my {
		if my[i].Version != lite[i].Version {
			t.Errorf("migration %d: mysql %s, sqlite %s", i, my[i].Name, lite[i].Name)
		}
	}
}

func TestMigrateIsIdempotentAndConcurrent(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		// testutil already migrated once; several more at once change nothing.
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				applied, err := d.Migrate(ctx, migrations.FS)
				if err == nil && len(applied) > 0 {
					err = errors.New("migrated again")
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		ms, _ := db.LoadMigrations(migrations.FS, d.Dialect)
		v, err := d.SchemaVersion(ctx)
		if err != nil || v != ms[len(ms)-1].Version {
			t.Fatalf("schema version %d, %v; want %d", v, err, ms[len(ms)-1].Version)
		}
	})
}

func TestConcurrentFirstMigration(t *testing.T) {
	for _, dialect := range testutil.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			u := testutil.NewDBURL(t, dialect)
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make(chan error, 3)
			for range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d, err := db.Open(ctx, u, db.Options{})
					if err != nil {
						errs <- err
						return
					}
					defer d.Close()
					_, err = d.Migrate(ctx, migrations.FS)
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.ExecContext(ctx, "INSERT INTO schema_version (version, name, applied_at) VALUES (9999, 'future.sql', ?)", time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		_, err := d.Migrate(ctx, migrations.FS)
		var tooNew *db.ErrSchemaTooNew
		if !errors.As(err, &tooNew) || tooNew.DB != 9999 {
			t.Fatalf("got %v, want ErrSchemaTooNew", err)
		}
	})
}

func TestFailedMigrationLeavesNoVersion(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		fsys := fstest.MapFS{
			"mysql/0001_a.sql":  {Data: []byte("CREATE TABLE t_ok (id INTEGER PRIMARY KEY);\n")},
			"sqlite/0001_a.sql": {Data: []byte("CREATE TABLE t_ok (id INTEGER PRIMARY KEY);\n")},
		}
		// Pretend a fresh schema_version: use a throwaway table name space.
		if _, err := d.ExecContext(ctx, "DELETE FROM schema_version"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Migrate(ctx, fsys); err != nil {
			t.Fatal(err)
		}
		fsys["mysql/0002_bad.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE broken (;\n")}
		fsys["sqlite/0002_bad.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE broken (;\n")}
		if _, err := d.Migrate(ctx, fsys); err == nil {
			t.Fatal("broken migration applied")
		}
		v, _ := d.SchemaVersion(ctx)
		if v != 1 {
			t.Fatalf("schema version %d after a failed migration, want 1", v)
		}
	})
}

func TestInTxRollsBack(t *testing.T) {
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO departments (name, color, created_at, updated_at) VALUES ('X', '#000000', ?, ?)", time.Now().UTC(), time.Now().UTC()); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		var n int
		d.QueryRowContext(ctx, "SELECT COUNT(*) FROM departments").Scan(&n)
		if n != 0 {
			t.Fatalf("%d rows after rollback", n)
		}
	})
}

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		desc string
		in   string
		want int
	}{
		{desc: "two statements", in: "CREATE TABLE a (x INT);\nCREATE TABLE b (y INT);\n", want: 2},
		{desc: "comments dropped", in: "-- hi\nCREATE TABLE a (\n  x INT\n);\n", want: 1},
		{desc: "no trailing semicolon", in: "SELECT 1", want: 1},
		{desc: "empty", in: "\n-- only\n", want: 0},
	}
	for _, tc := range tests {
		if got := len(db.SplitStatements(tc.in)); got != tc.want {
			t.Errorf("%s: got %d statements, want %d", tc.desc, got, tc.want)
		}
	}
}

// TestSQLiteWritersTakeTurns: this process's SQLite writers (transactions
// and plain statements) queue for their turn instead of meeting SQLITE_BUSY
// and its sleeping busy handler; all of them land, and a writer whose
// context ends while it waits gets the context's error.
func TestSQLiteWritersTakeTurns(t *testing.T) {
	d := testutil.NewDB(t, db.SQLite)
	ctx := context.Background()
	insert := "INSERT INTO departments (name, color, created_at, updated_at) VALUES (?, '#000000', ?, ?)"
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 8 {
				name := fmt.Sprintf("D%d-%d", g, i)
				now := time.Now().UTC()
				var err error
				if i%2 == 0 {
					_, err = d.ExecContext(ctx, insert, name, now, now)
				} else {
					err = d.InTx(ctx, func(tx *sql.Tx) error {
						_, err := tx.ExecContext(ctx, insert, name, now, now)
						return err
					})
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int
	d.QueryRowContext(ctx, "SELECT COUNT(*) FROM departments").Scan(&n)
	if n != 64 {
		t.Fatalf("%d departments, want 64", n)
	}

	// While a transaction holds the turn, a writer with a short deadline
	// gives up with its context's error and writes nothing.
	holding, release := make(chan struct{}), make(chan struct{})
	go d.InTx(ctx, func(tx *sql.Tx) error {
		close(holding)
		<-release
		return nil
	})
	<-holding
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	now := time.Now().UTC()
	if _, err := d.ExecContext(short, insert, "late", now, now); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting writer: %v, want the deadline", err)
	}
	close(release)
	if _, err := d.ExecContext(ctx, insert, "after", now, now); err != nil {
		t.Fatal(err)
	}
	d.QueryRowContext(ctx, "SELECT COUNT(*) FROM departments").Scan(&n)
	if n != 65 {
		t.Fatalf("%d departments, want 65", n)
	}
}

// SQLite's WAL is checkpointed in the background, not inside a writer's
// COMMIT (wal_autocheckpoint is off on every connection): what is written
// reaches the database file on its own within seconds, and the WAL file is
// reused instead of growing with every write.
func TestSQLiteCheckpointsInBackground(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crumb.db")
	d, err := db.Open(ctx, "sqlite://"+path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var auto int
	if err := d.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint = %d (%v), want 0", auto, err)
	}
	if _, err := d.ExecContext(ctx, "CREATE TABLE pad (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	size := func(name string) int64 {
		fi, err := os.Stat(name)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	blob := bytes.Repeat([]byte{7}, 64<<10)
	const rounds = 5
	var walMax int64
	for round := range rounds {
		for range 32 { // 2 MiB a round, more than SQLite's 1,000-page automatic threshold
			if _, err := d.ExecContext(ctx, "INSERT INTO pad (b) VALUES (?)", blob); err != nil {
				t.Fatal(err)
			}
		}
		walMax = max(walMax, size(path+"-wal"))
		want := int64(round+1) * 32 * int64(len(blob))
		deadline := time.Now().Add(15 * time.Second)
		for size(path) < want {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: database file %d bytes, want at least %d: the WAL was not checkpointed", round, size(path), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// The file has the round's pages; let that checkpoint finish (its
		// fsync) so that the next round's first write starts the WAL over.
		time.Sleep(500 * time.Millisecond)
	}
	// A round fits in a reused WAL (2.2 MB with frame headers); without
	// checkpoints it would hold all 10 MiB.
	t.Logf("largest WAL: %d bytes", walMax)
	if walMax > 6<<20 {
		t.Fatalf("WAL grew to %d bytes", walMax)
	}
}
