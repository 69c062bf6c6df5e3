package bakery

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
)

// SocketCount is the client message {"type":"bakery.count", ...} of the
// WebSocket API: a CountInput plus the sheet it counts and an optional ref
// the device uses to match the reply.
type SocketCount struct {
	Type string `json:"type"`
	Ref  string `json:"ref,omitempty"`
	Date string `json:"date"`
	Kind string `json:"kind"`
	CountInput
}

// SocketCounted is the reply to the sender; every device (the sender too)
// also gets the bakery.count event through the outbox.
type SocketCounted struct {
	Type  string     `json:"type"`
	Ref   string     `json:"ref,omitempty"`
	Count CountEvent `json:"data"`
}

// HandleSocketCount handles one bakery.count client message with the same
// rules as REST (validated, within 0..limit, rate limited, 409 on a
// finalized sheet). Its signature is the hub's MessageHandler.
func (s *Service) HandleSocketCount(ctx context.Context, p auth.Principal, raw []byte) (any, error) {
	var in SocketCount
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, apperr.New(apperr.BadRequest, "a bakery.count message has date, kind, item_id, delta or count, and optionally version and ref")
	}
	if err := apperr.CheckText(&in); err != nil {
		return nil, err
	}
	if len(in.Ref) > 64 {
		return nil, apperr.Field("ref", "must be at most 64 characters")
	}
	date, err := ParseDate(in.Date)
	if err != nil {
		return nil, apperr.Field("date", "must look like 2026-12-01")
	}
	ev, err := s.Count(ctx, p, date, in.Kind, in.CountInput)
	if err != nil {
		return nil, err
	}
	return SocketCounted{Type: "bakery.counted", Ref: in.Ref, Count: ev}, nil
}
