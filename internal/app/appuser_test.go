package app

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// TestMigrateProvisionsAppUser: crumb migrate, run with the admin
// credentials and CRUMB_DB_APP_SECRET_ID, creates the app's own MySQL
// account from that secret; a node whose CRUMB_DB_SECRET_ID is that secret
// starts, signs in and writes as that account, which may not change the
// schema.
func TestMigrateProvisionsAppUser(t *testing.T) {
	ctx := context.Background()
	dbURL := testutil.NewDBURL(t, db.MySQL)
	user := testutil.MySQLUser(t)
	sm := newFakeSecrets(t, `{"password":"unused"}`)
	sm.set("crumb/app", `{"username":"`+user+`","password":"app-Pass-4d81c2"}`)
	aws := map[string]string{"CRUMB_AWS_REGION": "us-east-1", "CRUMB_AWS_ENDPOINT_URL": sm.URL}

	env := map[string]string{"CRUMB_DATABASE_URL": dbURL, "CRUMB_DATA_DIR": t.TempDir(), "CRUMB_LOG_LEVEL": "error",
		"CRUMB_DB_APP_SECRET_ID": "crumb/app"}
	for k, v := range aws {
		env[k] = v
	}
	var out bytes.Buffer
	for range 2 { // a second run changes nothing
		out.Reset()
		if err := Run(ctx, []string{"migrate"}, &out, &out, func(k string) string { return env[k] }); err != nil {
			t.Fatalf("migrate: %v (said %q)", err, out.String())
		}
		if want := "app user " + user + ": SELECT, INSERT, UPDATE, DELETE"; !strings.Contains(out.String(), want) {
			t.Fatalf("migrate said %q, want %q", out.String(), want)
		}
	}

	t.Logf("migrate said %q", out.String())
	n := startNode(t, nodeOpts{DatabaseURL: dbURL, Env: map[string]string{"CRUMB_DB_SECRET_ID": "crumb/app",
		"CRUMB_AWS_REGION": aws["CRUMB_AWS_REGION"], "CRUMB_AWS_ENDPOINT_URL": aws["CRUMB_AWS_ENDPOINT_URL"]}})
	var current string
	if err := n.App.DB.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&current); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(current, user+"@") {
		t.Fatalf("the node connects as %s, want %s", current, user)
	}
	admin := n.login(testAdminEmail, testAdminPassword)
	var dept struct{ ID int64 }
	if code := n.do("POST", "/api/v1/departments", admin, map[string]any{"name": "Bakery"}, &dept); code != 201 || dept.ID == 0 {
		t.Fatalf("create department as the app user: %d", code)
	}
	if _, err := n.App.DB.ExecContext(ctx, "DROP TABLE departments"); !db.IsDenied(err) {
		t.Fatalf("the app user dropped a table: %v", err)
	}
}
