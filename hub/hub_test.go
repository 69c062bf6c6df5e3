package hub

import (
	"testing"

	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/outbox"
)

func TestTooOld(t *testing.T) {
	tests := []struct {
		desc                  string
		since, oldest, newest int64
		want                  bool
	}{
		{desc: "fresh client on empty store", since: 0, oldest: 0, newest: 0, want: false},
		{desc: "from the start keeps what is stored", since: 0, oldest: 50, newest: 90, want: false},
		{desc: "next event is the oldest stored", since: 49, oldest: 50, newest: 90, want: false},
		{desc: "one event deleted", since: 48, oldest: 50, newest: 90, want: true},
		{desc: "up to date", since: 90, oldest: 50, newest: 90, want: false},
		{desc: "from the future", since: 91, oldest: 50, newest: 90, want: true},
		{desc: "all deleted, client behind", since: 80, oldest: 0, newest: 90, want: true},
		{desc: "all deleted, client current", since: 90, oldest: 0, newest: 90, want: false},
	}
	for _, tc := range tests {
		if got := tooOld(tc.since, tc.oldest, tc.newest); got != tc.want {
			t.Errorf("%s: tooOld(%d, %d, %d) = %v, want %v", tc.desc, tc.since, tc.oldest, tc.newest, got, tc.want)
		}
	}
}

func TestVisible(t *testing.T) {
	admin := auth.Principal{UserID: 1, Role: auth.RoleAdmin}
	mgr := auth.Principal{UserID: 2, Role: auth.RoleManager, DeptIDs: []int64{3}}
	emp := auth.Principal{UserID: 4, Role: auth.RoleEmployee, DeptIDs: []int64{3}}
	other := auth.Principal{UserID: 5, Role: auth.RoleEmployee, DeptIDs: []int64{7}}
	dept := outbox.Event{Topic: "dept:3"}
	draft := outbox.Event{Topic: "dept:3", ManagersOnly: true}
	store := outbox.Event{Topic: "store"}
	mine := outbox.Event{Topic: "user:4"}
	tests := []struct {
		desc string
		p    auth.Principal
		e    outbox.Event
		want bool
	}{
		{"admin hears departments", admin, dept, true},
		{"admin hears drafts", admin, draft, true},
		{"admin hears store", admin, store, true},
		{"admin does not hear others' personal topic", admin, mine, false},
		{"manager hears own drafts", mgr, draft, true},
		{"manager does not hear store", mgr, store, false},
		{"employee hears department", emp, dept, true},
		{"employee does not hear drafts", emp, draft, false},
		{"employee hears own topic", emp, mine, true},
		{"other department hears nothing", other, dept, false},
	}
	for _, tc := range tests {
		if got := visible(tc.p, tc.e); got != tc.want {
			t.Errorf("%s: got %v", tc.desc, got)
		}
	}
}
