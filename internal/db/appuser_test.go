package db_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/migrations"
)

// TestEnsureAppUser: the account crumb migrate provisions for the app reads
// and writes rows, starts the app (Migrate with nothing to apply), and
// cannot change the schema; provisioning again is harmless and moves the
// account to a new password.
func TestEnsureAppUser(t *testing.T) {
	ctx := context.Background()
	u := testutil.NewDBURL(t, db.MySQL)
	admin, err := db.Open(ctx, u, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Migrate(ctx, migrations.FS); err != nil {
		t.Fatal(err)
	}
	user := testutil.MySQLUser(t)
	if err := admin.EnsureAppUser(ctx, user, "first-Pass'word\\1", false); err != nil {
		t.Fatal(err)
	}
	app := openAs(t, u, user, "first-Pass'word\\1")
	if applied, err := app.Migrate(ctx, migrations.FS); err != nil || len(applied) != 0 {
		t.Fatalf("the app user's start-up migrate: applied %v, err %v", applied, err)
	}
	for _, q := range []string{
		"INSERT INTO events (seq, topic, type, payload, created_at) VALUES (NULL, 'store', 'test.dml', '{}', NOW())",
		"UPDATE events SET payload = '{\"x\":1}' WHERE type = 'test.dml'",
		"DELETE FROM events WHERE type = 'test.dml'",
	} {
		if _, err := app.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var n int
	if err := app.QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE app_may_not (a INT)",
		"ALTER TABLE users ADD COLUMN app_may_not INT",
		"DROP TABLE events",
		"CREATE USER 'app_may_not'@'%'",
	} {
		if _, err := app.ExecContext(ctx, q); !db.IsDenied(err) {
			t.Errorf("%s as the app user: err %v, want a privilege refusal", q, err)
		}
	}
	// A migration the app user would have to apply says what to do.
	_, err = app.Migrate(ctx, withExtraMigration(t))
	if !db.IsDenied(err) || !strings.Contains(err.Error(), "crumb migrate") {
		t.Errorf("pending migration as the app user: %v, want a refusal that names crumb migrate", err)
	}
	app.Close()

	// Again, with a new password: the old one stops working.
	if err := admin.EnsureAppUser(ctx, user, "second-pass", false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Open(ctx, testutil.WithUser(t, u, user, "first-Pass'word\\1"), db.Options{}); !db.IsAuthFailure(err) {
		t.Errorf("old password: %v, want refused", err)
	}
	openAs(t, u, user, "second-pass").Close()

	for _, bad := range []string{"", "crumb-app", "x'@'%' IDENTIFIED BY 'y", strings.Repeat("a", 33)} {
		if err := admin.EnsureAppUser(ctx, bad, "pw", false); err == nil {
			t.Errorf("user %q accepted", bad)
		}
	}
	if err := admin.EnsureAppUser(ctx, user, "", false); err == nil {
		t.Error("empty password accepted")
	}
	if err := testutil.NewDB(t, db.SQLite).EnsureAppUser(ctx, user, "pw", false); err == nil {
		t.Error("SQLite accepted an app user")
	}
}

func openAs(t *testing.T, u, user, password string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), testutil.WithUser(t, u, user, password), db.Options{})
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	return d
}

// withExtraMigration is the real MySQL migrations and one more.
func withExtraMigration(t *testing.T) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{"mysql/9999_extra.sql": {Data: []byte("CREATE TABLE app_extra (id INTEGER PRIMARY KEY);\n")}}
	entries, err := fs.ReadDir(migrations.FS, "mysql")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(migrations.FS, "mysql/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		out["mysql/"+e.Name()] = &fstest.MapFile{Data: b}
	}
	return out
}
