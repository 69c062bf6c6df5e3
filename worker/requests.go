package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/outbox"
	"github.com/crumbcommander/crumb/internal/push"
)

// Requests that wait for a manager.
const (
	EventTimeOffRequested = "timeoff.requested"
	EventSwapRequested    = "swap.requested"
)

// TypeNotifyRequest tells the managers of a department, by e-mail and push,
// that a time-off or swap request waits for them.
const TypeNotifyRequest = "notify:request"

// RequestTask is the payload of a notify:request task: the event on its
// department topic.
type RequestTask struct {
	Seq          int64           `json:"seq"`
	Type         string          `json:"type"`
	DepartmentID int64           `json:"department_id"`
	Data         json.RawMessage `json:"data"`
}

// requestTasks are the manager notifications of an event: a time-off
// request, or a swap the colleague accepted (only then does it need a
// manager), on the department topic (the managers' copy).
func requestTasks(e outbox.Event) ([]*asynq.Task, error) {
	rest, ok := strings.CutPrefix(e.Topic, "dept:")
	if !ok || (e.Type != EventTimeOffRequested && e.Type != EventSwapRequested) {
		return nil, nil
	}
	dept, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || dept <= 0 {
		return nil, nil
	}
	if e.Type == EventSwapRequested {
		var s struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(e.Data, &s); err != nil || s.Status != "accepted" {
			return nil, nil
		}
	}
	b, err := json.Marshal(RequestTask{Seq: e.Seq, Type: e.Type, DepartmentID: dept, Data: e.Data})
	if err != nil {
		return nil, fmt.Errorf("worker: request task payload: %w", err)
	}
	return []*asynq.Task{asynq.NewTask(TypeNotifyRequest, b, asynq.Queue(QueueDefault), asynq.MaxRetry(emailMaxRetry), asynq.Retention(24*time.Hour))}, nil
}

// requestNote is what the managers are told about one request.
type requestNote struct {
	ref     string  // one notification per request and manager, whichever department's event carries it
	parties []int64 // the people in the request, never told as its managers
	kind    string  // the mail template
	data    map[string]any
	push    push.Message
}

func (h *Handlers) describeRequest(ctx context.Context, p RequestTask) (requestNote, error) {
	link := h.BaseURL + "/dashboard"
	switch p.Type {
	case EventTimeOffRequested:
		var t TimeOffEvent
		if err := json.Unmarshal(p.Data, &t); err != nil {
			return requestNote{}, fmt.Errorf("worker: timeoff data: %w", asynq.SkipRetry)
		}
		who, err := h.Notify.Recipient(ctx, t.EmployeeID)
		if err != nil {
			return requestNote{}, err
		}
		name := who.FirstName + " " + who.LastName
		return requestNote{ref: fmt.Sprintf("timeoff:%d:requested", t.ID), parties: []int64{t.EmployeeID}, kind: tmplRequest,
			data: map[string]any{"What": "time off", "Who": name, "Detail": fmt.Sprintf("%s to %s", t.StartsOn, t.EndsOn), "Note": t.Reason, "Link": link},
			push: push.Message{Title: "Time off to decide", Body: fmt.Sprintf("%s: %s to %s", name, t.StartsOn, t.EndsOn), URL: "/dashboard"}}, nil
	case EventSwapRequested:
		var s SwapDecision
		if err := json.Unmarshal(p.Data, &s); err != nil {
			return requestNote{}, fmt.Errorf("worker: swap data: %w", asynq.SkipRetry)
		}
		loc, err := h.location(ctx)
		if err != nil {
			return requestNote{}, err
		}
		v := viewShift(Shift{StartsAt: s.ShiftStartsAt, EndsAt: s.ShiftEndsAt}, loc)
		shift := fmt.Sprintf("%s %s–%s", v.Day, v.From, v.To)
		return requestNote{ref: fmt.Sprintf("swap:%d:accepted", s.ID), parties: []int64{s.FromEmployeeID, s.ToEmployeeID}, kind: tmplRequest,
			data: map[string]any{"What": "a shift swap", "Who": s.FromName, "Detail": fmt.Sprintf("the %s shift on %s to %s, who accepted", s.DepartmentName, shift, s.ToName), "Link": link},
			push: push.Message{Title: "Swap to approve", Body: fmt.Sprintf("%s → %s: %s", s.FromName, s.ToName, shift), URL: "/dashboard"}}, nil
	}
	return requestNote{}, fmt.Errorf("worker: request event %q: %w", p.Type, asynq.SkipRetry)
}

// notifyRequest tells each manager of the department about a request that
// waits for them: an e-mail (unless they turned e-mail off) and a push to
// the devices they subscribed. The people in the request are not told, even
// when they manage the department.
func (h *Handlers) notifyRequest(ctx context.Context, t *asynq.Task) error {
	var p RequestTask
	if err := decodePayload(t, &p); err != nil {
		return err
	}
	req, err := h.describeRequest(ctx, p)
	if err != nil {
		return err
	}
	managers, err := h.Notify.Managers(ctx, p.DepartmentID)
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range managers {
		if containsID(req.parties, m) {
			continue
		}
		n := note{ref: req.ref, userID: m, kind: notify.KindRequest, event: p.Type}
		errs = append(errs, h.sendEmail(ctx, t, n, func(_ context.Context, r notify.Recipient) (string, map[string]any, error) {
			data := map[string]any{"Name": r.FirstName}
			for k, v := range req.data {
				data[k] = v
			}
			return req.kind, data, nil
		}))
		errs = append(errs, h.sendSMS(ctx, t, n, smsText(req.push.Title+": "+req.push.Body+".")))
		if h.Push != nil {
			msg := req.push
			msg.Event, msg.Seq, msg.Tag = p.Type, p.Seq, req.ref
			errs = append(errs, h.deliver(ctx, t, n, notify.ChannelPush, false, func(ctx context.Context) error {
				_, err := h.Push.Deliver(ctx, req.ref, m, msg)
				return err
			}))
		}
	}
	return errors.Join(errs...)
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
