package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/crumbcommander/crumb/hub"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/testutil"
)

func TestWSRefusals(t *testing.T) {
	n := startNode(t, nodeOpts{})
	f := n.fixture()
	tests := []struct {
		desc   string
		token  string
		origin string
		query  string
		status int
		code   string
	}{
		{desc: "no token", origin: testOrigin, status: 401, code: "unauthenticated"},
		{desc: "bad token", token: "crumb_nope", origin: testOrigin, status: 401, code: "unauthenticated"},
		{desc: "foreign origin", token: f.Employee, origin: "http://evil.example", status: 403, code: "forbidden"},
		{desc: "bad since", token: f.Employee, origin: testOrigin, query: "?since=x", status: 400, code: "bad_request"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			h := http.Header{"Origin": {tc.origin}}
			if tc.token != "" {
				h.Set("Authorization", "Bearer "+tc.token)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			ws, res, err := websocket.Dial(ctx, strings.Replace(n.URL, "http", "ws", 1)+"/api/v1/ws"+tc.query, &websocket.DialOptions{HTTPHeader: h})
			if err == nil {
				ws.CloseNow()
				t.Fatal("upgraded; want a refusal")
			}
			if res == nil || res.StatusCode != tc.status {
				t.Fatalf("status = %v, want %d (%v)", res, tc.status, err)
			}
			var body struct {
				Error struct{ Code string } `json:"error"`
			}
			json.NewDecoder(res.Body).Decode(&body)
			if body.Error.Code != tc.code {
				t.Errorf("code = %q, want %q", body.Error.Code, tc.code)
			}
		})
	}
}

func TestWSLiveTopicsPingAndReadLimit(t *testing.T) {
	n := startNode(t, nodeOpts{})
	f := n.fixture()
	emp := n.dial(f.Employee, "")
	mgr := n.dial(f.Manager, "")
	adm := n.dial(f.Admin, "")
	for _, c := range []*client{emp, mgr, adm} {
		c.until("ready", nil)
	}
	dept := outbox.DeptTopic(f.DeptID)
	// A draft goes to the manager and the admin only; then a public event to all.
	if err := n.App.Writer.Do(context.Background(), func(tx *outbox.Tx) error {
		tx.EmitManagers(dept, "shift.created", map[string]any{"id": 1})
		tx.Emit(dept, "schedule.published", map[string]any{"department_id": f.DeptID})
		tx.Emit(outbox.UserTopic(f.EmployeeID), "shift.assigned", map[string]any{"employee_id": f.EmployeeID})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got := func(c *client, k int) []string {
		var out []string
		for range k {
			fr := c.must(5 * time.Second)
			if fr.Type != "event" || fr.At.IsZero() || len(fr.Data) == 0 {
				t.Fatalf("frame %+v", fr)
			}
			out = append(out, fr.Topic+" "+fr.Event)
		}
		return out
	}
	if g := got(emp, 2); !slices.Equal(g, []string{dept + " schedule.published", outbox.UserTopic(f.EmployeeID) + " shift.assigned"}) {
		t.Errorf("employee got %v", g)
	}
	if g := got(mgr, 2); !slices.Equal(g, []string{dept + " shift.created", dept + " schedule.published"}) {
		t.Errorf("manager got %v", g)
	}
	if g := got(adm, 2); !slices.Equal(g, []string{dept + " shift.created", dept + " schedule.published"}) {
		t.Errorf("admin got %v", g)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	emp.ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`))
	if fr := emp.must(5 * time.Second); fr.Type != "pong" {
		t.Errorf("want pong, got %+v", fr)
	}
	big := `{"type":"x","pad":"` + strings.Repeat("a", hub.ReadLimit) + `"}`
	emp.ws.Write(ctx, websocket.MessageText, []byte(big))
	if st := emp.closeStatus(5 * time.Second); st != websocket.StatusMessageTooBig {
		t.Errorf("close status = %v, want 1009", st)
	}
}

// bigEventsToReader emits total 64-KiB events on user's topic while fast
// reads them, keeping the emitter at most 8 events ahead of the reader
// (well within any queue here): enough to fill the kernel buffers of a
// socket of the same person that does not read. It fails the test unless
// fast got all of them, in order.
func bigEventsToReader(t *testing.T, n *node, user int64, fast *client, total int) {
	t.Helper()
	pad := strings.Repeat("x", 64<<10)
	got := make(chan []int64, 1)
	progress := make(chan struct{}, total)
	go func() {
		var seqs []int64
		defer close(progress)
		for len(seqs) < total {
			fr, err := fast.next(30 * time.Second)
			if err != nil {
				t.Logf("fast client: %v", err)
				break
			}
			seqs = append(seqs, fr.Seq)
			progress <- struct{}{}
		}
		got <- seqs
	}()
	for i := range total {
		if i >= 8 {
			<-progress
		}
		n.emit(outbox.UserTopic(user), "test.big", map[string]any{"i": i, "pad": pad})
	}
	seqs := <-got
	if len(seqs) != total || !slices.IsSorted(seqs) {
		t.Fatalf("fast client got %d events (sorted %v), want %d", len(seqs), slices.IsSorted(seqs), total)
	}
}

func TestWSSlowConsumerEvicted(t *testing.T) {
	n := startNode(t, nodeOpts{Hub: hub.Options{QueueSize: 32, WriteTimeout: 20 * time.Second}})
	f := n.fixture()
	slow := n.dial(f.Employee, "")
	fast := n.dial(f.Employee, "")
	slow.until("ready", nil)
	fast.until("ready", nil)
	// Once evicted, the slow client reads what the kernel holds, then the 1008.
	slowStatus := make(chan websocket.StatusCode, 1)
	go func() {
		for deadline := time.Now().Add(60 * time.Second); n.App.Hub.Stats().Evicted == 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		slowStatus <- slow.closeStatus(30 * time.Second)
	}()
	// Big events fill the kernel buffers of the slow socket, which never reads.
	bigEventsToReader(t, n, f.EmployeeID, fast, 400)
	if st := <-slowStatus; st != websocket.StatusPolicyViolation {
		t.Errorf("slow client close status = %v, want 1008", st)
	}
	if ev := n.App.Hub.Stats().Evicted; ev != 1 {
		t.Fatalf("evicted = %d, want 1", ev)
	}
	// The operator sees it too.
	res, err := http.Get(n.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"crumb_ws_evicted_total 1\n", "crumb_ws_sockets 1\n", "crumb_ws_frames_sent_total ", "crumb_ws_head_seq "} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestWSStalledWriteIsCut: a peer that stops reading stalls the write to
// it once the kernel's buffers are full; the write deadline (the hub's
// watchdog) closes that socket, and the other socket of the same writer
// shard gets every event after a pause of about the write timeout. The
// queue is large enough that eviction cannot come first.
func TestWSStalledWriteIsCut(t *testing.T) {
	n := startNode(t, nodeOpts{Hub: hub.Options{QueueSize: 1000, WriteTimeout: 400 * time.Millisecond, Writers: 1}})
	f := n.fixture()
	stalled := n.dial(f.Employee, "")
	fast := n.dial(f.Employee, "")
	stalled.until("ready", nil)
	fast.until("ready", nil)
	bigEventsToReader(t, n, f.EmployeeID, fast, 400)
	// The cut socket's reader unregisters it.
	testutil.Eventually(t, 5*time.Second, "one socket left", func() bool { return n.App.Hub.Stats().Conns == 1 })
	if st := n.App.Hub.Stats(); st.TimedOut != 1 || st.Evicted != 0 || st.Conns != 1 {
		t.Fatalf("stats %+v: want one socket cut by the write deadline, none evicted, one left", st)
	}
	// The stalled client finds its connection gone (no close handshake: the
	// write it stalled was cut).
	if code := stalled.closeStatus(30 * time.Second); code == websocket.StatusPolicyViolation {
		t.Errorf("stalled client was evicted (1008), want its socket cut")
	}
	res, err := http.Get(n.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "crumb_ws_write_timeouts_total 1\n") {
		t.Error("/metrics lacks crumb_ws_write_timeouts_total 1")
	}
}

// A client that stops reading during its replay (written by its reader
// goroutine, before the socket goes live) is cut by the replay's write
// deadline; a later resume from the same seq gets every event.
func TestWSStalledReplayIsCut(t *testing.T) {
	n := startNode(t, nodeOpts{Hub: hub.Options{WriteTimeout: 2 * time.Second}})
	f := n.fixture()
	first := n.dial(f.Employee, "")
	since := first.until("ready", nil).Seq
	first.ws.CloseNow()
	// More than the socket buffers of both ends hold on loopback.
	const total = 300
	pad := strings.Repeat("x", 64<<10)
	for i := range total {
		n.emit(outbox.UserTopic(f.EmployeeID), "test.big", map[string]any{"i": i, "pad": pad})
	}
	stalled := n.dial(f.Employee, "?since="+itoa(since)) // never read
	testutil.Eventually(t, 20*time.Second, "the replaying socket cut", func() bool {
		st := n.App.Hub.Stats()
		return st.Conns == 0 && st.TimedOut == 1
	})
	if st := n.App.Hub.Stats(); st.Conns != 0 || st.TimedOut != 1 || st.Evicted != 0 {
		t.Fatalf("stats %+v: want the replaying socket cut by the write deadline and counted", st)
	}
	if code := stalled.closeStatus(30 * time.Second); code == websocket.StatusNormalClosure {
		t.Errorf("stalled replay closed normally, want its socket cut")
	}
	var seqs []int64
	again := n.dial(f.Employee, "?since="+itoa(since))
	ready := again.until("ready", &seqs)
	if want := seqRange(since+1, ready.Seq); !slices.Equal(seqs, want) || len(seqs) != total {
		t.Fatalf("resume got %d events %v, want %d (%v)", len(seqs), seqs, total, want)
	}
}

func TestWSLogoutAndRoleChangeCloseSockets(t *testing.T) {
	n := startNode(t, nodeOpts{})
	f := n.fixture()
	other := n.login("erin@example.test", testAdminPassword) // a second session of Erin
	c := n.dial(f.Employee, "")
	keep := n.dial(other, "")
	c.until("ready", nil)
	keep.until("ready", nil)
	start := time.Now()
	if code := n.do("POST", "/api/v1/auth/logout", f.Employee, nil, nil); code != 204 {
		t.Fatalf("logout: %d", code)
	}
	if st := c.closeStatus(3 * time.Second); st != hub.StatusSessionRevoked {
		t.Fatalf("close status = %v, want %d", st, hub.StatusSessionRevoked)
	}
	t.Logf("closed %v after logout", time.Since(start))
	// The other session's socket stays open and hears its events.
	n.emit(outbox.UserTopic(f.EmployeeID), "test.ping", nil)
	if fr := keep.must(5 * time.Second); fr.Event != "session.revoked" {
		t.Fatalf("other session got %+v", fr)
	}
	if fr := keep.must(5 * time.Second); fr.Event != "test.ping" {
		t.Fatalf("other session got %+v", fr)
	}
	// A role change closes the person's sockets: their topics changed.
	if code := n.do("PATCH", "/api/v1/employees/"+itoa(f.EmployeeID), f.Admin, map[string]any{"role": "manager"}, nil); code != 200 {
		t.Fatalf("patch role: %d", code)
	}
	for {
		fr, err := keep.next(3 * time.Second)
		if err != nil {
			if st := websocket.CloseStatus(err); st != hub.StatusResubscribe && st != hub.StatusSessionRevoked {
				t.Fatalf("close status = %v, want %d", st, hub.StatusResubscribe)
			}
			break
		}
		if fr.Type != "event" {
			t.Fatalf("unexpected %+v", fr)
		}
	}
}

// Deactivating a person closes their sockets (their sessions are revoked),
// and their token no longer opens one.
func TestWSDeactivationClosesSockets(t *testing.T) {
	n := startNode(t, nodeOpts{})
	f := n.fixture()
	c := n.dial(f.Employee, "")
	c.until("ready", nil)
	start := time.Now()
	if code := n.do("DELETE", "/api/v1/employees/"+itoa(f.EmployeeID), f.Admin, nil, nil); code != 204 {
		t.Fatalf("deactivate: %d", code)
	}
	if st := c.closeStatus(3 * time.Second); st != hub.StatusSessionRevoked && st != hub.StatusResubscribe {
		t.Fatalf("close status = %v, want %d or %d", st, hub.StatusSessionRevoked, hub.StatusResubscribe)
	}
	t.Logf("closed %v after deactivation", time.Since(start))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, res, err := dialWS(ctx, n.URL, f.Employee, "")
	if err == nil {
		ws.CloseNow()
		t.Fatal("a deactivated person's token opened a socket")
	}
	if res == nil || res.StatusCode != 401 {
		t.Fatalf("dial after deactivation: %v (response %v), want 401", err, res)
	}
}

func TestWSResumeAfterDrop(t *testing.T) {
	n := startNode(t, nodeOpts{})
	f := n.fixture()
	topic := outbox.UserTopic(f.EmployeeID)
	c := n.dial(f.Employee, "")
	ready := c.until("ready", nil)
	n.emit(topic, "test.n", 1)
	n.emit(topic, "test.n", 2)
	var seqs []int64
	seqs = append(seqs, c.must(5*time.Second).Seq, c.must(5*time.Second).Seq)
	c.ws.CloseNow()
	for i := 3; i <= 5; i++ {
		n.emit(topic, "test.n", i)
	}
	n.emit(outbox.DeptTopic(f.DeptID+100), "test.other", nil) // not Erin's
	c2 := n.dial(f.Employee, "?since="+itoa(seqs[len(seqs)-1]))
	r2 := c2.until("ready", &seqs)
	n.emit(topic, "test.n", 6)
	seqs = append(seqs, c2.must(5*time.Second).Seq)
	want := wantSeqs(t, n, ready.Seq, []string{topic, outbox.DeptTopic(f.DeptID)})
	if !slices.Equal(seqs, want) {
		t.Fatalf("seqs = %v, want %v (ready %d)", seqs, want, r2.Seq)
	}
}

// wantSeqs are the seqs after since on topics, from the database.
func wantSeqs(t *testing.T, n *node, since int64, topics []string) []int64 {
	t.Helper()
	evs, err := outbox.Reader{DB: n.App.DB}.After(context.Background(), since, topics, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, e := range evs {
		if !e.ManagersOnly {
			out = append(out, e.Seq)
		}
	}
	return out
}

func TestWSResetPastRetention(t *testing.T) {
	n := startNode(t, nodeOpts{})
	f := n.fixture()
	n.emit(outbox.UserTopic(f.EmployeeID), "test.n", 1)
	if _, err := (outbox.Reader{DB: n.App.DB}).DeleteBefore(context.Background(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c := n.dial(f.Employee, "?since=1")
	if fr := c.must(5 * time.Second); fr.Type != "reset" {
		t.Fatalf("want reset, got %+v", fr)
	}
}

func TestWSDrainSendsReconnect(t *testing.T) {
	n := startNode(t, nodeOpts{})
	f := n.fixture()
	c := n.dial(f.Employee, "")
	c.until("ready", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go n.App.Drain(ctx)
	fr := c.until("reconnect", nil)
	if fr.AfterMS <= 0 {
		t.Errorf("after_ms = %d", fr.AfterMS)
	}
	if st := c.closeStatus(5 * time.Second); st != websocket.StatusServiceRestart {
		t.Errorf("close status = %v, want 1012", st)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if _, res, err := dialWS(ctx2, n.URL, f.Employee, ""); err == nil || res == nil || res.StatusCode != 503 {
		t.Errorf("dial while draining: %v %v", res, err)
	}
}

func TestWSDeadPeerDropped(t *testing.T) {
	n := startNode(t, nodeOpts{Hub: hub.Options{PingInterval: 200 * time.Millisecond}})
	f := n.fixture()
	c := n.dial(f.Employee, "")
	c.until("ready", nil)
	// The client stops reading, so it never answers pings.
	testutil.Eventually(t, 10*time.Second, "the peer that does not answer pings to be dropped",
		func() bool { return n.App.Hub.Stats().Conns == 0 })
}

func TestRelaySweepPublishesUnnotifiedEvents(t *testing.T) {
	n := startNode(t, nodeOpts{})
	f := n.fixture()
	c := n.dial(f.Employee, "")
	c.until("ready", nil)
	// A writer without the relay's hook: a crash between commit and publish.
	w := outbox.NewWriter(n.App.DB, nil)
	if err := w.Do(context.Background(), func(tx *outbox.Tx) error {
		tx.Emit(outbox.UserTopic(f.EmployeeID), "test.swept", nil)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fr := c.must(10 * time.Second); fr.Event != "test.swept" {
		t.Fatalf("got %+v", fr)
	}
	// It is marked relayed just after publishing.
	testutil.Eventually(t, 5*time.Second, "every event marked relayed", func() bool {
		evs, err := outbox.Reader{DB: n.App.DB}.Unrelayed(context.Background(), time.Now().Add(time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs) == 0
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
