// Package hub will hold the WebSocket hub: connections, topics, fan-out,
// resume by sequence, and the memory and Redis brokers (see DESIGN.md).
// It is built by the real-time hub issue; nothing here works yet.
package hub
