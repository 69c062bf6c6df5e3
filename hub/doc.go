// Package hub is the WebSocket hub: connections, topics, fan-out, resume by
// sequence, and the brokers that carry events between nodes. The protocol
// clients see is described in docs/api.md (WebSocket).
//
// # Flow
//
// The relay (internal/relay) publishes every committed outbox event to a
// Broker: MemoryBroker in one process, RedisBroker (pub/sub) across nodes.
// Each Hub subscribes, puts events back in seq order (an event ahead of a
// gap waits GapTimeout, then the gap is read from the database, and after a
// broker reconnect the hub catches up the same way), serializes each event
// once and queues the same bytes on every socket that may see it.
//
// # Topics
//
// Topics follow identity: user:<id> for everyone; dept:<id> for the members
// and managers of the department (events emitted with EmitManagers only to
// its managers); admins hear store and every dept topic. session.revoked
// (honouring keep_session_id) and employee.updated with resubscribe close
// the person's sockets with 4001 and 4002; the client signs in again or
// reconnects with since and gets its new topics.
//
// # Sockets
//
// A socket has one long-lived goroutine, its reader (Serve). Writes go
// through a bounded per-socket queue that a few sharded writer goroutines
// (Options.Writers) drain, so an idle socket costs no writer goroutine and a
// busy hub has a few runnable writers rather than one per socket. A full
// queue closes the client with 1008 (it reconnects with since and loses
// nothing); fan-out never waits on a socket. Every write has a deadline
// (WriteTimeout), kept by one watchdog that looks four times per timeout
// rather than by a timer per write: a peer that stops reading can hold up
// the other sockets of its shard for at most that long and a quarter, then
// its socket is closed (or, if its queue overflows first, it is evicted).
// The replay of a resume is written by the socket's reader with a deadline
// on each write; Stats.TimedOut counts both kinds of cut.
// An event is serialized once, as a whole WebSocket frame, and written as
// it is to every subscriber's upgraded connection (Upgrade), one write
// per batch; coder/websocket writes only the control frames. A keepalive
// pings each socket once per PingInterval and drops a peer that does not
// answer within the next one. Client messages over 4 KiB
// close the socket with 1009. Drain sends {"type":"reconnect","after_ms":N}
// and closes with 1012.
//
// # Resume
//
// Serve with resume replays the events after since on the client's topics
// from the database (paged), holding live events meanwhile; then it sends
// the held events the replay did not cover, then {"type":"ready","seq":N},
// then live events. A seq is never sent twice to a socket. A since older
// than retention gets {"type":"reset"} and a close.
//
// # Client messages
//
// {"type":"ping"} is answered with {"type":"pong"}. Other types go to the
// handler registered with Hub.Handle(type, fn) before Run; for example the
// bakery registers "bakery.count":
//
//	h.Handle("bakery.count", func(ctx context.Context, p auth.Principal, raw []byte) (any, error) {
//		var in bakery.CountInput
//		if err := json.Unmarshal(raw, &in); err != nil { return nil, apperr.New(apperr.BadRequest, "...") }
//		return nil, svc.Count(ctx, p, in) // the resulting bakery.count event reaches clients via the outbox
//	})
//
// A handler's non-nil reply is sent to that client as JSON; an error as
// {"type":"error","for":<type>,"error":{"code","message","fields"}}.
// Unknown types are ignored. Handlers run on the socket's reader goroutine,
// so a client's messages are handled in order; rate limiting is theirs.
package hub
