package faultsuite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// answerBound is how long the suite waits for any answer. A request still
// unanswered by then hangs: the suite fails. It is a liveness bound for a
// loaded machine, many times the children's request deadline.
const answerBound = 20 * time.Second

// phase collects what happened while one fault was in force.
type phase struct {
	name string
	kill bool // a process is killed: refused connections are expected

	outage atomic.Bool // the fault is in force

	mu         sync.Mutex
	acked      []int64 // ids of the shifts whose create answered 201
	answered   int
	got503     int
	got500     int
	noAnswer   int           // the connection failed (a killed serve)
	maxOutage  time.Duration // the longest answer to a request sent during the outage
	unexpected []string
}

func (p *phase) bad(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.unexpected) < 20 {
		p.unexpected = append(p.unexpected, fmt.Sprintf(format, args...))
	}
}

// client sends the load's requests and files each answer under the phase
// in force when the request was sent.
type client struct {
	base  string
	http  *http.Client
	phase atomic.Pointer[phase]
}

type answer struct {
	status     int
	body       []byte
	retryAfter string
}

// do sends one request; ok reports a 2xx. Every other answer is checked
// against what an outage may answer (503 unavailable with Retry-After).
func (c *client) do(method, path, token string, body any, what string) (answer, bool) {
	p := c.phase.Load()
	during := p.outage.Load()
	start := time.Now()
	a, err := c.send(method, path, token, body)
	took := time.Since(start)
	p.mu.Lock()
	if during && took > p.maxOutage {
		p.maxOutage = took
	}
	p.mu.Unlock()
	if err != nil {
		p.mu.Lock()
		p.noAnswer++
		p.mu.Unlock()
		if !p.kill || errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
			p.bad("%s: no answer after %v: %v", what, took.Round(time.Millisecond), err)
		}
		return a, false
	}
	p.mu.Lock()
	p.answered++
	p.mu.Unlock()
	switch {
	case a.status < 300:
		return a, true
	case a.status == http.StatusServiceUnavailable:
		p.mu.Lock()
		p.got503++
		p.mu.Unlock()
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		json.Unmarshal(a.body, &e)
		if e.Error.Code != "unavailable" || a.retryAfter == "" {
			p.bad("%s: 503 %s (Retry-After %q)", what, a.body, a.retryAfter)
		}
	case a.status >= 500:
		p.mu.Lock()
		p.got500++
		p.mu.Unlock()
		p.bad("%s: %d %s", what, a.status, a.body)
	default:
		p.bad("%s: %d %s", what, a.status, a.body)
	}
	return a, false
}

func (c *client) send(method, path, token string, body any) (answer, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, body: b, retryAfter: res.Header.Get("Retry-After")}, err
}

// must sends a setup request, which has to succeed.
func (c *client) must(t *testing.T, method, path, token string, body, out any) {
	t.Helper()
	a, err := c.send(method, path, token, body)
	for try := 0; err == nil && a.status == http.StatusServiceUnavailable && try < 10; try++ {
		time.Sleep(500 * time.Millisecond) // a loaded machine outlasting the deadline
		a, err = c.send(method, path, token, body)
	}
	if err != nil || a.status >= 300 {
		t.Fatalf("%s %s: %d %s %v", method, path, a.status, a.body, err)
	}
	if out != nil {
		if err := json.Unmarshal(a.body, out); err != nil {
			t.Fatalf("%s %s: %s: %v", method, path, a.body, err)
		}
	}
}

func (c *client) login(t *testing.T, email, password string) string {
	t.Helper()
	var out struct{ Token string }
	c.must(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}, &out)
	return out.Token
}

// writer creates published shifts for one person, one after another, each
// an hour long and two hours after the last (never overlapping), until ctx
// ends. notes names each attempt, so that a stored row that was not
// acknowledged (its answer lost) is told from a doubled one.
func (c *client) writer(ctx context.Context, w int, token string, dept, emp int64) {
	base := time.Date(2031, 1, 6, 0, 0, 0, 0, time.UTC)
	for i := 0; ctx.Err() == nil; i++ {
		start := base.Add(time.Duration(i) * 2 * time.Hour)
		body := map[string]any{"department_id": dept, "employee_id": emp, "status": "published",
			"starts_at": start.Format(time.RFC3339), "ends_at": start.Add(time.Hour).Format(time.RFC3339),
			"notes": fmt.Sprintf("fault-%d-%d", w, i)}
		p := c.phase.Load()
		if a, ok := c.do("POST", "/api/v1/shifts", token, body, "POST /shifts"); ok {
			var s struct{ ID int64 }
			json.Unmarshal(a.body, &s)
			p.mu.Lock()
			p.acked = append(p.acked, s.ID)
			p.mu.Unlock()
		}
		pause(ctx, 20*time.Millisecond)
	}
}

// poll sends one request every interval until ctx ends.
func (c *client) poll(ctx context.Context, every time.Duration, send func()) {
	for ctx.Err() == nil {
		send()
		pause(ctx, every)
	}
}

func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// subscriber holds a WebSocket open, resuming with since=<last seq> after
// every close, and counts what it receives.
type subscriber struct {
	name  string
	base  string
	token string

	mu      sync.Mutex
	last    int64
	seqs    map[int64]int // times each event was received
	shifts  map[int64]int // times each shift.created was received, by shift id
	resumes int
	resets  int
}

func newSubscriber(name, base, token string) *subscriber {
	return &subscriber{name: name, base: strings.Replace(base, "http", "ws", 1), token: token, seqs: map[int64]int{}, shifts: map[int64]int{}}
}

func (s *subscriber) run(ctx context.Context) {
	for ctx.Err() == nil {
		s.mu.Lock()
		since := s.last
		s.mu.Unlock()
		s.session(ctx, since)
		pause(ctx, 100*time.Millisecond)
	}
}

// session is one socket, from dial to close.
func (s *subscriber) session(ctx context.Context, since int64) {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	h := http.Header{"Authorization": {"Bearer " + s.token}}
	ws, _, err := websocket.Dial(dctx, s.base+"/api/v1/ws?since="+strconv.FormatInt(since, 10), &websocket.DialOptions{HTTPHeader: h})
	cancel()
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	s.mu.Lock()
	s.resumes++
	s.mu.Unlock()
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var f struct {
			Type  string          `json:"type"`
			Seq   int64           `json:"seq"`
			Event string          `json:"event"`
			Data  json.RawMessage `json:"data"`
		}
		if json.Unmarshal(b, &f) != nil {
			continue
		}
		switch f.Type {
		case "event":
			s.mu.Lock()
			s.seqs[f.Seq]++
			s.last = max(s.last, f.Seq)
			if f.Event == "shift.created" {
				var sh struct{ ID int64 }
				json.Unmarshal(f.Data, &sh)
				s.shifts[sh.ID]++
			}
			s.mu.Unlock()
		case "reset":
			s.mu.Lock()
			s.resets++
			s.mu.Unlock()
		}
	}
}

// delivered counts, of ids, those received once and those received more
// than once; dupSeqs counts events received more than once.
func (s *subscriber) delivered(ids []int64) (once, twice, dupSeqs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		switch n := s.shifts[id]; {
		case n == 1:
			once++
		case n > 1:
			twice++
		}
	}
	for _, n := range s.seqs {
		if n > 1 {
			dupSeqs++
		}
	}
	return once, twice, dupSeqs
}
