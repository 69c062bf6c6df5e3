package hub

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/outbox"
)

type eventFrame struct {
	Type  string          `json:"type"`
	Seq   int64           `json:"seq"`
	Topic string          `json:"topic"`
	Event string          `json:"event"`
	At    time.Time       `json:"at"`
	Data  json.RawMessage `json:"data"`
}

// encodeEvent is the API.md event frame. It runs once per event, not once
// per client.
func encodeEvent(e outbox.Event) []byte {
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	b, err := json.Marshal(eventFrame{"event", e.Seq, e.Topic, e.Type, e.At.UTC(), data})
	if err != nil { // stored payloads are JSON; this is a bug
		b, _ = json.Marshal(eventFrame{"event", e.Seq, e.Topic, e.Type, e.At.UTC(), json.RawMessage("null")})
	}
	return b
}

func encodeReady(seq int64) []byte {
	return []byte(`{"type":"ready","seq":` + strconv.FormatInt(seq, 10) + `}`)
}

func encodeReconnect(after time.Duration) []byte {
	return []byte(`{"type":"reconnect","after_ms":` + strconv.FormatInt(after.Milliseconds(), 10) + `}`)
}

var (
	frameReset = []byte(`{"type":"reset"}`)
	framePong  = []byte(`{"type":"pong"}`)
)

type errorFrame struct {
	Type  string        `json:"type"`
	For   string        `json:"for"`
	Error *apperr.Error `json:"error"`
}

func encodeError(msgType string, err error) []byte {
	e, ok := apperr.As(err)
	if !ok {
		e = apperr.New(apperr.Internal, "something went wrong on our side; it has been logged")
	}
	b, _ := json.Marshal(errorFrame{"error", msgType, e})
	return b
}
