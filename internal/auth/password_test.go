package auth

import (
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h, err := Hasher{}.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not use the production parameters", h)
	}
	tests := []struct {
		desc, hash, pw string
		want           bool
	}{
		{desc: "right password", hash: h, pw: "correct horse battery", want: true},
		{desc: "wrong password", hash: h, pw: "correct horse batterY"},
		{desc: "empty password", hash: h, pw: ""},
		{desc: "tampered hash", hash: h[:len(h)-2] + "AA", pw: "correct horse battery"},
		{desc: "garbage hash", hash: "$2a$10$notargon", pw: "x"},
		{desc: "empty hash", hash: "", pw: "x"},
	}
	for _, tc := range tests {
		if got := CheckPassword(tc.hash, tc.pw); got != tc.want {
			t.Errorf("%s: got %v", tc.desc, got)
		}
	}
	h2, _ := Hasher{}.Hash("correct horse battery")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
}

func TestValidatePassword(t *testing.T) {
	if ValidatePassword("short") == "" || ValidatePassword(strings.Repeat("x", 300)) == "" || ValidatePassword("long enough pw") != "" {
		t.Fatal("password rules")
	}
}

func TestPolicy(t *testing.T) {
	mgr := Principal{UserID: 1, Role: RoleManager, DeptIDs: []int64{3}}
	emp := Principal{UserID: 2, Role: RoleEmployee, DeptIDs: []int64{3}}
	admin := Principal{UserID: 9, Role: RoleAdmin}
	colleague := Person{ID: 5, DeptIDs: []int64{3}}
	stranger := Person{ID: 6, DeptIDs: []int64{4}}
	tests := []struct {
		desc string
		got  bool
		want bool
	}{
		{"admin manages any dept", admin.Manages(4), true},
		{"manager manages own dept", mgr.Manages(3), true},
		{"manager does not manage other dept", mgr.Manages(4), false},
		{"employee manages nothing", emp.Manages(3), false},
		{"manager sees colleague", CanSeePerson(mgr, colleague), true},
		{"manager does not see stranger", CanSeePerson(mgr, stranger), false},
		{"employee sees self", CanSeePerson(emp, Person{ID: 2}), true},
		{"employee does not see colleague", CanSeePerson(emp, colleague), false},
		{"admin sees stranger", CanSeePerson(admin, stranger), true},
		{"manager manages colleague", CanManagePerson(mgr, colleague), true},
		{"employee does not manage self", CanManagePerson(emp, Person{ID: 2, DeptIDs: []int64{3}}), false},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %v", tc.desc, tc.got)
		}
	}
}

// TestHasherParameters: each Hasher hashes with its own parameters (the zero
// one with the production ones), and every hash verifies whatever made it.
func TestHasherParameters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		desc string
		h    Hasher
		want string
	}{
		{desc: "zero is production", h: Hasher{}, want: "$m=19456,t=2,p=1$"},
		{desc: "cheap instance", h: Hasher{MemoryKiB: 64, Time: 1}, want: "$m=64,t=1,p=1$"},
	} {
		h, err := tc.h.Hash("correct horse battery")
		if err != nil {
			t.Fatalf("%s: %v", tc.desc, err)
		}
		if !strings.Contains(h, tc.want) {
			t.Errorf("%s: hash %q lacks %q", tc.desc, h, tc.want)
		}
		if !CheckPassword(h, "correct horse battery") || CheckPassword(h, "wrong horse battery") {
			t.Errorf("%s: hash does not verify", tc.desc)
		}
	}
}
