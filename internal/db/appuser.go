package db

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// AppPrivileges are all the app's own MySQL user holds on its database:
// it reads and writes rows and never changes the schema (crumb migrate
// does, with the admin credentials).
const AppPrivileges = "SELECT, INSERT, UPDATE, DELETE"

// mysqlName is what EnsureAppUser accepts as a user or database name: it
// quotes them itself, so nothing else may reach the statement.
var mysqlName = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)

// EnsureAppUser makes the MySQL account user@'%' exist with password,
// require TLS when requireTLS (else not), and hold AppPrivileges on this
// handle's database. It is idempotent, and a changed password takes effect
// for the account's next connections. It only adds: a privilege granted to
// the account by hand is left alone. The caller needs CREATE USER and the
// privileges it grants WITH GRANT OPTION (the RDS master user has both).
func (d *DB) EnsureAppUser(ctx context.Context, user, password string, requireTLS bool) error {
	if !d.IsMySQL() {
		return errors.New("db: an app user exists on MySQL only")
	}
	if !mysqlName.MatchString(user) {
		return fmt.Errorf("db: app user name %q: want 1 to 32 letters, digits or _", user)
	}
	if password == "" {
		return errors.New("db: app user has no password")
	}
	var name string
	if err := d.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&name); err != nil {
		return fmt.Errorf("db: app user: %w", err)
	}
	if !mysqlName.MatchString(name) {
		return fmt.Errorf("db: database name %q: want 1 to 32 letters, digits or _ to grant on it", name)
	}
	tls := "NONE"
	if requireTLS {
		tls = "SSL"
	}
	// The driver interpolates the placeholders as quoted strings (see
	// MySQLConfig), which is how MySQL spells an account name and a password.
	for _, st := range []struct {
		what, q string
		args    []any
	}{
		{"create", "CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?", []any{user, password}},
		{"set password", "ALTER USER ?@'%' IDENTIFIED BY ? REQUIRE " + tls, []any{user, password}},
		// In GRANT, _ in a database name is a wildcard unless escaped.
		{"grant", "GRANT " + AppPrivileges + " ON `" + strings.ReplaceAll(name, "_", `\_`) + "`.* TO ?@'%'", []any{user}},
	} {
		if _, err := d.ExecContext(ctx, st.q, st.args...); err != nil {
			return fmt.Errorf("db: app user %s: %s: %w", user, st.what, err)
		}
	}
	return nil
}

// IsDenied reports whether err is MySQL refusing a statement for want of a
// privilege (such as a migration run as the app's own user).
func IsDenied(err error) bool {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1044, 1142, 1143, 1227: // database, table, column access; missing global privilege
		return true
	}
	return false
}
