// Package demo loads a realistic demo store into an empty database: four
// departments, a manager for each, about thirty employees. Later domains add
// their own demo data here (shifts: SeedShifts; bakery items).
package demo

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"

	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/people"
)

// Login is one demo sign-in to print; PIN is the person's kiosk PIN
// (SeedPINs), if any.
type Login struct {
	Role, Email, Department, PIN string
	ID                           int64
}

// Result is what Seed created.
type Result struct {
	Password    string
	Logins      []Login
	Departments []people.Department
	Employees   []people.Employee
}

// EmailDomain is the domain of every demo address (reserved, never routable).
const EmailDomain = "demo.example.com"

var departments = []struct{ name, color string }{
	{"Bakery", "#d97706"}, {"Deli", "#dc2626"}, {"Produce", "#16a34a"}, {"Front End", "#2563eb"},
}

var firstNames = []string{"Ava", "Liam", "Noah", "Emma", "Olivia", "Lucas", "Mia", "Ethan", "Zoe", "Owen",
	"Chloe", "Jack", "Leah", "Ben", "Nora", "Sam", "Ella", "Caleb", "Maya", "Isaac", "Aria", "Levi", "Ruby",
	"Eli", "Hannah", "Finn", "Grace", "Theo", "Lily", "Jonah", "Ivy", "Mason"}

var lastNames = []string{"MacDonald", "LeBlanc", "Smith", "Fraser", "Campbell", "Murphy", "Doucette", "Boudreau",
	"MacLean", "Cormier", "Young", "Chisholm", "Gallant", "Hines", "Robichaud", "Thibodeau"}

// IsEmpty reports whether the store has no people yet.
func IsEmpty(ctx context.Context, svc *people.Service) (bool, error) {
	var n int
	if err := svc.W.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		return false, fmt.Errorf("demo: count users: %w", err)
	}
	return n == 0, nil
}

// NewPassword makes a random demo password (nothing fixed lives in the repo).
func NewPassword() string {
	b := make([]byte, 10)
	rand.Read(b)
	return "demo-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// Seed creates the demo people with one shared password.
func Seed(ctx context.Context, svc *people.Service, password string) (*Result, error) {
	res := &Result{Password: password}
	sys := auth.System
	for _, d := range departments {
		name, color := d.name, d.color
		dep, err := svc.CreateDepartment(ctx, sys, people.DepartmentInput{Name: &name, Color: &color})
		if err != nil {
			return nil, fmt.Errorf("demo: department %s: %w", name, err)
		}
		res.Departments = append(res.Departments, dep)
	}
	add := func(first, last string, role auth.Role, deptIDs []int64, dept string) error {
		email := strings.ToLower(strings.ReplaceAll(first+"."+last, " ", "")) + "@" + EmailDomain
		hours := 40
		if role == auth.RoleEmployee && len(res.Employees)%3 == 0 {
			hours = 24 // part-timers
		}
		rate := int64(1650 + 100*(len(res.Employees)%5))
		hired := fmt.Sprintf("20%02d-%02d-01", 18+len(res.Employees)%8, 1+len(res.Employees)%12)
		e, err := svc.CreateEmployee(ctx, sys, people.EmployeeInput{
			FirstName: &first, LastName: &last, Email: &email, Password: &password, Role: &role,
			DepartmentIDs: &deptIDs, MaxHoursPerWeek: &hours, PayRateCents: &rate, HiredOn: &hired,
		})
		if err != nil {
			return fmt.Errorf("demo: person %s: %w", email, err)
		}
		res.Employees = append(res.Employees, e)
		if role != auth.RoleEmployee || len(res.Logins) < 7 {
			res.Logins = append(res.Logins, Login{Role: string(role), Email: email, Department: dept, ID: e.ID})
		}
		return nil
	}
	if err := add("Alex", "Admin", auth.RoleAdmin, nil, ""); err != nil {
		return nil, err
	}
	// The shared clock-in device at the staff entrance (attendance kiosk).
	if err := add("Staff", "Entrance", auth.RoleKiosk, nil, ""); err != nil {
		return nil, err
	}
	n := 0
	for i, d := range res.Departments {
		if err := add(firstNames[n%len(firstNames)], lastNames[(n*3+1)%len(lastNames)], auth.RoleManager, []int64{d.ID}, d.Name); err != nil {
			return nil, err
		}
		n++
		for j := 0; j < 7; j++ {
			first := firstNames[n%len(firstNames)]
			last := lastNames[(n*5+i)%len(lastNames)]
			if err := add(first, last, auth.RoleEmployee, []int64{d.ID}, d.Name); err != nil {
				return nil, err
			}
			n++
		}
	}
	return res, nil
}

// SeedPINs gives every listed demo manager and employee a random kiosk PIN
// (printed with the sign-ins), so that the kiosk can be tried at once.
func SeedPINs(ctx context.Context, att *attendance.Service, res *Result) error {
	for i, l := range res.Logins {
		if l.Role != string(auth.RoleEmployee) && l.Role != string(auth.RoleManager) {
			continue
		}
		pin := newPIN()
		if err := att.SetPIN(ctx, auth.System, l.ID, attendance.PINInput{PIN: pin}); err != nil {
			return fmt.Errorf("demo: pin of %s: %w", l.Email, err)
		}
		res.Logins[i].PIN = pin
	}
	return nil
}

// newPIN is a random 4-digit PIN that attendance.ValidatePIN accepts.
func newPIN() string {
	for {
		var b [2]byte
		rand.Read(b[:])
		pin := fmt.Sprintf("%04d", (int(b[0])<<8|int(b[1]))%10000)
		if attendance.ValidatePIN(pin) == "" {
			return pin
		}
	}
}
