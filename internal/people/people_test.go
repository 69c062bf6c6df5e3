package people_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/paging"
	"github.com/crumbcommander/crumb/internal/people"
	"github.com/crumbcommander/crumb/internal/testutil"
)

var ctx = context.Background()

const password = "correct horse battery"

type fixture struct {
	t     *testing.T
	svc   *people.Service
	admin auth.Principal
	n     int
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	r, _ := testutil.Redis(t)
	clock := testutil.NewClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	w := outbox.NewWriter(d, clock.Now)
	svc := &people.Service{W: w, Sessions: &auth.Sessions{W: w, TTL: time.Hour},
		Limiter: &auth.LoginLimiter{R: r, Clock: clock.Now}, Passwords: testutil.CheapHasher()}
	if err := svc.EnsureStore(ctx, "Test Store", "America/Halifax"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.BootstrapAdmin(ctx, "admin@example.com", password); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, svc: svc}
	f.admin = f.principal(f.login("admin@example.com"))
	return f
}

func (f *fixture) login(email string) people.Employee {
	f.t.Helper()
	_, e, err := f.svc.Login(ctx, people.LoginInput{Email: email, Password: password}, people.Client{IP: "192.0.2.1"})
	if err != nil {
		f.t.Fatalf("login %s: %v", email, err)
	}
	return e
}

func (f *fixture) principal(e people.Employee) auth.Principal {
	return auth.Principal{UserID: e.ID, Role: e.Role, DeptIDs: e.DepartmentIDs}
}

func (f *fixture) dept(name string) int64 {
	f.t.Helper()
	d, err := f.svc.CreateDepartment(ctx, f.admin, people.DepartmentInput{Name: &name})
	if err != nil {
		f.t.Fatal(err)
	}
	return d.ID
}

func (f *fixture) person(role auth.Role, depts ...int64) people.Employee {
	f.t.Helper()
	f.n++
	first, last, email, pw := fmt.Sprintf("P%d", f.n), "Test", fmt.Sprintf("p%d@example.com", f.n), password
	rate := int64(1850)
	if depts == nil {
		depts = []int64{}
	}
	e, err := f.svc.CreateEmployee(ctx, f.admin, people.EmployeeInput{FirstName: &first, LastName: &last, Email: &email,
		Password: &pw, Role: &role, DepartmentIDs: &depts, PayRateCents: &rate})
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

func ids(es []people.Employee) map[int64]bool {
	m := map[int64]bool{}
	for _, e := range es {
		m[e.ID] = true
	}
	return m
}

// Admins see everyone; a manager sees herself and the people of her
// departments; an employee sees only herself. Pay rates reach admins, the person's
// managers and the person.
func TestWhoSeesWhom(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		a, b := f.dept("Bakery"), f.dept("Deli")
		mgrA := f.principal(f.person(auth.RoleManager, a))
		empA, empB := f.person(auth.RoleEmployee, a), f.person(auth.RoleEmployee, b)

		all, err := f.svc.ListEmployees(ctx, f.admin, people.EmployeeFilter{}, paging.ListParams{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(all.Items) != 4 {
			t.Errorf("admin sees %d people, want 4", len(all.Items))
		}
		mine, err := f.svc.ListEmployees(ctx, mgrA, people.EmployeeFilter{}, paging.ListParams{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(mine.Items); len(got) != 2 || !got[mgrA.UserID] || !got[empA.ID] {
			t.Errorf("manager of Bakery sees %v, want herself and the Bakery employee", got)
		}
		for _, e := range mine.Items {
			if e.PayRateCents == nil || *e.PayRateCents != 1850 {
				t.Errorf("manager does not see the pay rate of her person %d", e.ID)
			}
		}
		_, err = f.svc.GetEmployee(ctx, mgrA, empB.ID)
		wantCode(t, err, apperr.NotFound)

		self := f.principal(empA)
		got, err := f.svc.GetEmployee(ctx, self, empA.ID)
		if err != nil || got.ID != empA.ID || got.PayRateCents == nil {
			t.Fatalf("employee reads herself and her rate: %+v, %v", got, err)
		}
		_, err = f.svc.GetEmployee(ctx, self, empB.ID)
		wantCode(t, err, apperr.NotFound)
		ownList, err := f.svc.ListEmployees(ctx, self, people.EmployeeFilter{}, paging.ListParams{Limit: 100})
		if err != nil || len(ownList.Items) != 1 {
			t.Fatalf("employee's list: %d people, %v", len(ownList.Items), err)
		}

		byAdmin, err := f.svc.GetEmployee(ctx, f.admin, empA.ID)
		if err != nil || byAdmin.PayRateCents == nil || *byAdmin.PayRateCents != 1850 {
			t.Fatalf("admin reads the pay rate: %+v, %v", byAdmin.PayRateCents, err)
		}
	})
}

// Only admins change people; a stale version is refused and changes
// nothing; the last active admin cannot be demoted or deactivated.
func TestChangingPeople(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		a := f.dept("Bakery")
		mgr := f.principal(f.person(auth.RoleManager, a))
		emp := f.person(auth.RoleEmployee, a)

		name := "Renamed"
		_, err := f.svc.UpdateEmployee(ctx, mgr, emp.ID, people.EmployeeInput{FirstName: &name}, nil)
		wantCode(t, err, apperr.Forbidden)

		stale := emp.Version + 1
		_, err = f.svc.UpdateEmployee(ctx, f.admin, emp.ID, people.EmployeeInput{FirstName: &name}, &stale)
		wantCode(t, err, apperr.StaleVersion)
		if cur, _ := f.svc.GetEmployee(ctx, f.admin, emp.ID); cur.FirstName == name {
			t.Fatal("a refused change was stored")
		}
		up, err := f.svc.UpdateEmployee(ctx, f.admin, emp.ID, people.EmployeeInput{FirstName: &name}, &emp.Version)
		if err != nil || up.FirstName != name || up.Version != emp.Version+1 {
			t.Fatalf("update: %+v, %v", up, err)
		}

		demoted, depts := auth.RoleEmployee, []int64{a}
		_, err = f.svc.UpdateEmployee(ctx, f.admin, f.admin.UserID, people.EmployeeInput{Role: &demoted, DepartmentIDs: &depts}, nil)
		wantCode(t, err, apperr.Conflict)
		wantCode(t, f.svc.DeactivateEmployee(ctx, f.admin, f.admin.UserID, nil), apperr.Conflict)

		email := emp.Email
		first, last, pw := "Dup", "Licate", password
		_, err = f.svc.CreateEmployee(ctx, f.admin, people.EmployeeInput{FirstName: &first, LastName: &last, Email: &email, Password: &pw})
		wantCode(t, err, apperr.ValidationFailed)

		short := "short"
		_, err = f.svc.CreateEmployee(ctx, f.admin, people.EmployeeInput{FirstName: &first, LastName: &last, Email: ptr("new@example.com"), Password: &short})
		wantCode(t, err, apperr.ValidationFailed)
	})
}

// Sign-in: a wrong password and an unknown e-mail fail alike; a
// deactivated person cannot sign in; changing the password needs the
// current one.
func TestSigningIn(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		emp := f.person(auth.RoleEmployee, f.dept("Bakery"))
		c := people.Client{IP: "192.0.2.9"}

		_, _, err := f.svc.Login(ctx, people.LoginInput{Email: emp.Email, Password: "not the password"}, c)
		wantCode(t, err, apperr.Unauthenticated)
		_, _, err = f.svc.Login(ctx, people.LoginInput{Email: "nobody@example.com", Password: password}, c)
		wantCode(t, err, apperr.Unauthenticated)
		_, _, err = f.svc.Login(ctx, people.LoginInput{Email: "", Password: ""}, c)
		wantCode(t, err, apperr.ValidationFailed)

		p := f.principal(emp)
		err = f.svc.ChangePassword(ctx, p, people.PasswordChange{Current: "wrong one!!", New: "a brand new password"})
		wantCode(t, err, apperr.ValidationFailed)
		if err := f.svc.ChangePassword(ctx, p, people.PasswordChange{Current: password, New: "a brand new password"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Login(ctx, people.LoginInput{Email: emp.Email, Password: "a brand new password"}, c); err != nil {
			t.Fatalf("sign-in with the new password: %v", err)
		}

		if err := f.svc.DeactivateEmployee(ctx, f.admin, emp.ID, nil); err != nil {
			t.Fatal(err)
		}
		_, _, err = f.svc.Login(ctx, people.LoginInput{Email: emp.Email, Password: "a brand new password"}, c)
		wantCode(t, err, apperr.Unauthenticated)

		created, err := f.svc.BootstrapAdmin(ctx, "second@example.com", password)
		if err != nil || created {
			t.Fatalf("a second bootstrap admin: created=%v, %v", created, err)
		}
	})
}

// Departments and the store: names are unique, versions guard edits, and
// the store refuses an unknown time zone.
func TestDepartmentsAndStore(t *testing.T) {
	t.Parallel()
	testutil.ForEachDB(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		bakery := f.dept("Bakery")
		name := "Bakery"
		_, err := f.svc.CreateDepartment(ctx, f.admin, people.DepartmentInput{Name: &name})
		wantCode(t, err, apperr.ValidationFailed)
		mgr := f.principal(f.person(auth.RoleManager, bakery))
		other := "Produce"
		_, err = f.svc.CreateDepartment(ctx, mgr, people.DepartmentInput{Name: &other})
		wantCode(t, err, apperr.Forbidden)

		st, err := f.svc.GetStore(ctx)
		if err != nil || st.Timezone != "America/Halifax" {
			t.Fatalf("store: %+v, %v", st, err)
		}
		_, err = f.svc.UpdateStore(ctx, f.admin, people.StorePatch{Timezone: ptr("Mars/Olympus_Mons")}, nil)
		wantCode(t, err, apperr.ValidationFailed)
		up, err := f.svc.UpdateStore(ctx, f.admin, people.StorePatch{Timezone: ptr("America/Toronto")}, &st.Version)
		if err != nil || up.Timezone != "America/Toronto" || up.Location().String() != "America/Toronto" {
			t.Fatalf("store update: %+v, %v", up, err)
		}
		_, err = f.svc.UpdateStore(ctx, f.admin, people.StorePatch{Name: ptr("Late")}, &st.Version)
		wantCode(t, err, apperr.StaleVersion)
		_, err = f.svc.UpdateStore(ctx, mgr, people.StorePatch{Name: ptr("Mine")}, nil)
		wantCode(t, err, apperr.Forbidden)
	})
}

func ptr[T any](v T) *T { return &v }
