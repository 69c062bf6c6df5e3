package faultsuite

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

const (
	writers   = 3
	steadyFor = 500 * time.Millisecond // load before and after each fault
	outageFor = 2 * time.Second        // how long each proxy fault lasts
	// proxyDelay is the latency the Delay fault adds to every chunk, each
	// way: a request of a few round trips outlasts the request deadline.
	proxyDelay = 300 * time.Millisecond
)

// TestFaultSuite runs one serve and one worker process on MariaDB and
// Redis behind fault proxies, with writers creating published shifts,
// readers, sign-ins and two WebSocket subscribers that resume with since.
// Each fault in turn: cut, delay and blackhole of MariaDB and of Redis,
// then kill -9 of serve and of the worker (during writes and report
// exports). Each must leave 0 acknowledged writes missing, 0 rows or
// events doubled, 0 events missing after resume, 0 work stuck (events
// relayed, e-mails sent, reports ready) and 0 answers of 500; a request
// that cannot reach a dependency answers 503 unavailable with Retry-After.
func TestFaultSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault suite runs for about a minute")
	}
	cl := startCluster(t)
	c := &client{base: cl.URL, http: &http.Client{Timeout: answerBound, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
	setup := &phase{name: "setup"}
	c.phase.Store(setup)

	admin := c.login(t, adminEmail, adminPassword)
	var dept struct{ ID int64 }
	c.must(t, "POST", "/api/v1/departments", admin, map[string]any{"name": "Bakery"}, &dept)
	person := func(first, role string) int64 {
		var e struct{ ID int64 }
		c.must(t, "POST", "/api/v1/employees", admin, map[string]any{"first_name": first, "last_name": "Fault", "role": role,
			"email": strings.ToLower(first) + "@example.test", "department_ids": []int64{dept.ID}, "password": adminPassword}, &e)
		return e.ID
	}
	person("Mona", "manager")
	manager := c.login(t, "mona@example.test", adminPassword)
	var emps []int64
	for w := range writers {
		emps = append(emps, person(fmt.Sprintf("Erin%d", w), "employee"))
	}

	// The subscribers outlive the load: they must still receive what was
	// written last.
	subCtx, stopSubs := context.WithCancel(context.Background())
	var subsDone sync.WaitGroup
	subs := []*subscriber{newSubscriber("manager", cl.URL, manager), newSubscriber("admin", cl.URL, admin)}
	for _, s := range subs {
		subsDone.Go(func() { s.run(subCtx) })
	}
	defer func() { stopSubs(); subsDone.Wait() }()
	ctx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() { c.writer(ctx, w, manager, dept.ID, emps[w]) })
	}
	wg.Go(func() {
		c.poll(ctx, 50*time.Millisecond, func() { c.do("GET", "/api/v1/departments", admin, nil, "GET /departments") })
	})
	// Sign-in needs Redis (its attempt counters): it fails closed.
	wg.Go(func() {
		c.poll(ctx, time.Second, func() {
			c.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "mona@example.test", "password": adminPassword}, "POST /auth/login")
		})
	})
	defer func() { stopLoad(); wg.Wait() }()

	var phases []*phase
	run := func(p *phase, fault func(), restore func()) {
		t.Helper()
		phases = append(phases, p)
		c.phase.Store(p)
		time.Sleep(steadyFor)
		p.outage.Store(true)
		fault()
		restore()
		p.outage.Store(false)
		// Recovered: a write is acknowledged again.
		p.mu.Lock()
		before := len(p.acked)
		p.mu.Unlock()
		testutil.Eventually(t, 60*time.Second, p.name+": a write acknowledged after the fault", func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			return len(p.acked) > before
		})
		time.Sleep(steadyFor)
	}
	for _, dep := range []struct {
		name  string
		proxy *testutil.FaultProxy
	}{{"MariaDB", cl.DB}, {"Redis", cl.Redis}} {
		for _, f := range []testutil.Fault{testutil.Cut, testutil.Delay, testutil.Blackhole} {
			run(&phase{name: faultName(dep.name, f)},
				func() { dep.proxy.Set(f, proxyDelay); time.Sleep(outageFor) },
				func() { dep.proxy.Set(testutil.Pass, 0) })
		}
	}
	run(&phase{name: "kill -9 serve", kill: true},
		func() { cl.kill("serve"); time.Sleep(500 * time.Millisecond) },
		func() { cl.start("serve") })
	var reportIDs []int64
	var killedAt string
	run(&phase{name: "kill -9 worker", kill: true},
		func() {
			for range 3 {
				var r struct{ ID int64 }
				c.must(t, "POST", "/api/v1/reports", admin, map[string]any{"kind": "schedule", "format": "pdf", "from": "2031-01-06", "to": "2031-03-31"}, &r)
				reportIDs = append(reportIDs, r.ID)
			}
			// Kill while an export runs, if one starts within a few seconds.
			deadline := time.Now().Add(10 * time.Second)
			for killedAt == "" || (killedAt == "queued" && time.Now().Before(deadline)) {
				killedAt = reportStatus(t, c, admin, reportIDs[0])
				if killedAt == "running" || killedAt == "ready" {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			cl.kill("worker")
			time.Sleep(500 * time.Millisecond)
		},
		func() { cl.start("worker") })
	t.Logf("the worker was killed while the first report was %s", killedAt)

	stopLoad()
	wg.Wait()
	cl.DB.Set(testutil.Pass, 0)
	cl.Redis.Set(testutil.Pass, 0)
	verify(t, cl, c, admin, phases, subs, reportIDs)
}

func reportStatus(t *testing.T, c *client, token string, id int64) string {
	t.Helper()
	var r struct{ Status string }
	c.must(t, "GET", fmt.Sprintf("/api/v1/reports/%d", id), token, nil, &r)
	return r.Status
}

// verify waits for the cluster to settle, then counts per phase and fails
// on anything missing, doubled, stuck or answered 500.
func verify(t *testing.T, cl *cluster, c *client, admin string, phases []*phase, subs []*subscriber, reportIDs []int64) {
	t.Helper()
	d, err := db.Open(context.Background(), cl.dbURL, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := d.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Rows stored: every shift the load created, by id, and notes written twice.
	stored := map[int64]bool{}
	rows, err := d.QueryContext(ctx, `SELECT id FROM shifts WHERE notes LIKE 'fault-%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		stored[id] = true
	}
	rows.Close()
	doubledRows := count(`SELECT COUNT(*) FROM (SELECT notes FROM shifts WHERE notes LIKE 'fault-%' GROUP BY notes HAVING COUNT(*) > 1) x`)
	storedIDs := make([]int64, 0, len(stored))
	for id := range stored {
		storedIDs = append(storedIDs, id)
	}

	// Every stored row reaches every subscriber (after resume), once.
	settle := 60 * time.Second
	deadline := time.Now().Add(settle)
	for _, s := range subs {
		for {
			once, twice, _ := s.delivered(storedIDs)
			if once+twice == len(storedIDs) || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// Nothing stuck: every event relayed, every e-mail sent, every report ready.
	testutil.Eventually(t, settle, "every event relayed", func() bool {
		return count(`SELECT COUNT(*) FROM events WHERE relayed_at IS NULL`) == 0
	})
	assigned := `FROM events e LEFT JOIN notifications n ON n.ref = CONCAT('seq:', e.seq) AND n.channel = 'email' AND n.sent_at IS NOT NULL
		WHERE e.type = 'shift.assigned'`
	var unsentMail int
	for until := time.Now().Add(settle); ; time.Sleep(200 * time.Millisecond) {
		if unsentMail = count(`SELECT COUNT(*) ` + assigned + ` AND n.id IS NULL`); unsentMail == 0 || time.Now().After(until) {
			break
		}
	}
	// An e-mail not sent yet must still have its task queued (waiting for
	// a retry): delayed, not lost.
	lostMail := 0
	if unsentMail > 0 {
		insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: testutil.RedisAddr(), DB: cl.redisDB})
		defer insp.Close()
		rows, err := d.QueryContext(ctx, `SELECT e.seq, n.created_at IS NOT NULL FROM events e
			LEFT JOIN notifications n ON n.ref = CONCAT('seq:', e.seq) AND n.channel = 'email'
			WHERE e.type = 'shift.assigned' AND n.sent_at IS NULL`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var seq int64
			var claimed bool
			rows.Scan(&seq, &claimed)
			info, err := insp.GetTaskInfo(worker.QueueDefault, fmt.Sprintf("%s:%d", worker.TypeEmailShift, seq))
			if err != nil {
				lostMail++
				t.Logf("e-mail of event %d (claimed %v): no task: %v", seq, claimed, err)
				continue
			}
			t.Logf("e-mail of event %d (claimed %v): task %s, %d retries, next at %v, last error %q", seq, claimed,
				info.State, info.Retried, info.NextProcessAt.Format(time.TimeOnly), info.LastErr)
			if info.State == asynq.TaskStateCompleted || info.State == asynq.TaskStateArchived {
				lostMail++
			}
		}
		rows.Close()
	}
	var notReady []string
	for until := time.Now().Add(settle); ; time.Sleep(200 * time.Millisecond) {
		notReady = notReady[:0]
		for _, id := range reportIDs {
			if st := reportStatus(t, c, admin, id); st != "ready" {
				notReady = append(notReady, fmt.Sprintf("%d:%s", id, st))
			}
		}
		if len(notReady) == 0 || time.Now().After(until) {
			break
		}
	}
	readyEvents := count(`SELECT COUNT(*) FROM events WHERE type = 'report.ready'`)
	createdEvents := count(`SELECT COUNT(*) FROM events WHERE type IN ('shift.created', 'mgr:shift.created')`)

	t.Logf("%-18s %6s %6s %8s %8s %7s %7s %5s %5s %9s %12s", "fault", "acked", "stored", "deliv.", "missing", "doubled", "answers", "503", "500", "no answer", "longest")
	total := 0
	for _, p := range phases {
		missing, doubled, delivered := 0, 0, 0
		for _, id := range p.acked {
			if !stored[id] {
				missing++
			}
		}
		for _, s := range subs {
			once, twice, _ := s.delivered(p.acked)
			delivered += once
			doubled += twice
			missing += len(p.acked) - once - twice
		}
		total += len(p.acked)
		storedHere := 0
		for _, id := range p.acked {
			if stored[id] {
				storedHere++
			}
		}
		t.Logf("%-18s %6d %6d %8d %8d %7d %7d %5d %5d %9d %12v", p.name, len(p.acked), storedHere, delivered, missing, doubled,
			p.answered, p.got503, p.got500, p.noAnswer, p.maxOutage.Round(time.Millisecond))
		if missing > 0 || doubled > 0 || p.got500 > 0 {
			t.Errorf("%s: %d missing, %d doubled, %d answers of 500", p.name, missing, doubled, p.got500)
		}
		for _, u := range p.unexpected {
			t.Errorf("%s: %s", p.name, u)
		}
	}
	for _, s := range subs {
		once, twice, dupSeqs := s.delivered(storedIDs)
		t.Logf("subscriber %s: %d of %d stored shifts delivered once, %d more than once, %d events received twice, %d sockets (resumes), %d resets",
			s.name, once, len(storedIDs), twice, dupSeqs, s.resumes, s.resets)
		if once != len(storedIDs) || twice > 0 || dupSeqs > 0 || s.resets > 0 {
			t.Errorf("subscriber %s: %d of %d delivered once, %d twice, %d events twice, %d resets", s.name, once, len(storedIDs), twice, dupSeqs, s.resets)
		}
	}
	t.Logf("rows: %d acknowledged, %d stored (%d stored though their answer was lost), %d notes stored twice; %d shift.created events",
		total, len(stored), len(stored)-total, doubledRows, createdEvents)
	t.Logf("stuck: %d shift e-mails lost, %d delayed (their task waits for a retry), reports not ready %v, %d report.ready events for %d reports",
		lostMail, unsentMail-lostMail, notReady, readyEvents, len(reportIDs))
	if doubledRows > 0 || createdEvents != len(stored) {
		t.Errorf("%d notes stored twice; %d shift.created events for %d rows", doubledRows, createdEvents, len(stored))
	}
	if lostMail > 0 || len(notReady) > 0 || readyEvents != len(reportIDs) {
		t.Errorf("stuck: %d e-mails lost, reports not ready %v, %d report.ready events for %d reports", lostMail, notReady, readyEvents, len(reportIDs))
	}
}
