package hub

import (
	"encoding/binary"
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

// Every frame the hub queues is a whole server-to-client WebSocket text
// frame, header included (RFC 6455, 5.2: FIN, opcode 1, unmasked, 7-, 16-
// or 64-bit length), built once per event and written to every subscriber's
// connection as it is, in one write (conn.writeAll).
func textFrame(payload []byte) []byte {
	n := len(payload)
	var f []byte
	switch {
	case n < 126:
		f = make([]byte, 2, 2+n)
		f[1] = byte(n)
	case n <= 0xffff:
		f = make([]byte, 4, 4+n)
		f[1] = 126
		binary.BigEndian.PutUint16(f[2:], uint16(n))
	default:
		f = make([]byte, 10, 10+n)
		f[1] = 127
		binary.BigEndian.PutUint64(f[2:], uint64(n))
	}
	f[0] = 0x81
	return append(f, payload...)
}

// encodeEvent is the event frame (docs/api.md, WebSocket). It runs once
// per event, not once per client.
func encodeEvent(e outbox.Event) []byte {
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	b, err := json.Marshal(eventFrame{"event", e.Seq, e.Topic, e.Type, e.At.UTC(), data})
	if err != nil { // stored payloads are JSON; this is a bug
		b, _ = json.Marshal(eventFrame{"event", e.Seq, e.Topic, e.Type, e.At.UTC(), json.RawMessage("null")})
	}
	return textFrame(b)
}

func encodeReady(seq int64) []byte {
	return textFrame([]byte(`{"type":"ready","seq":` + strconv.FormatInt(seq, 10) + `}`))
}

func encodeReconnect(after time.Duration) []byte {
	return textFrame([]byte(`{"type":"reconnect","after_ms":` + strconv.FormatInt(after.Milliseconds(), 10) + `}`))
}

var (
	frameReset = textFrame([]byte(`{"type":"reset"}`))
	framePong  = textFrame([]byte(`{"type":"pong"}`))
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
	return textFrame(b)
}

// encodeReply is a handler's reply; ok is false if it is not JSON.
func encodeReply(v any) (frame []byte, ok bool) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	return textFrame(b), true
}
