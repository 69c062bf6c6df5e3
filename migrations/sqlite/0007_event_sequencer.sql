-- Events are inserted unsequenced (seq NULL) inside the writing transaction
-- and numbered after commit by the outbox sequencer (see the MySQL twin).
CREATE TABLE events_sequenced (
  id INTEGER NOT NULL PRIMARY KEY,
  seq INTEGER NULL,
  topic TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  relayed_at DATETIME NULL
);
INSERT INTO events_sequenced (id, seq, topic, type, payload, created_at, relayed_at)
  SELECT seq, seq, topic, type, payload, created_at, relayed_at FROM events;
DROP TABLE events;
ALTER TABLE events_sequenced RENAME TO events;
CREATE UNIQUE INDEX uq_events_seq ON events (seq);
CREATE INDEX idx_events_topic ON events (topic, seq);
CREATE INDEX idx_events_relay ON events (relayed_at, seq);
CREATE INDEX idx_events_created ON events (created_at);
