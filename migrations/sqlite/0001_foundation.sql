-- Foundation: store settings, departments, people, sessions, audit, outbox, idempotency.
CREATE TABLE store (
  id INTEGER NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  timezone TEXT NOT NULL,
  week_starts_on INTEGER NOT NULL DEFAULT 1,
  min_rest_hours INTEGER NOT NULL DEFAULT 10,
  reminder_hours INTEGER NOT NULL DEFAULT 12,
  late_grace_minutes INTEGER NOT NULL DEFAULT 5,
  clock_in_early_minutes INTEGER NOT NULL DEFAULT 15,
  claims_need_approval BOOLEAN NOT NULL DEFAULT 1,
  event_retention_days INTEGER NOT NULL DEFAULT 7,
  version INTEGER NOT NULL DEFAULT 1,
  updated_at DATETIME NOT NULL
);

CREATE TABLE departments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL COLLATE NOCASE UNIQUE,
  color TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL COLLATE NOCASE UNIQUE,
  password_hash TEXT NOT NULL,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  phone TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL,
  hired_on DATE NULL,
  active BOOLEAN NOT NULL DEFAULT 1,
  max_hours_per_week INTEGER NOT NULL DEFAULT 40,
  pay_rate_cents INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 1,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE INDEX idx_users_role ON users (role);

CREATE TABLE user_departments (
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  department_id INTEGER NOT NULL REFERENCES departments (id),
  PRIMARY KEY (user_id, department_id)
);
CREATE INDEX idx_user_departments_dept ON user_departments (department_id);

CREATE TABLE sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  token_hash BLOB NOT NULL UNIQUE,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at DATETIME NOT NULL,
  expires_at DATETIME NOT NULL,
  revoked_at DATETIME NULL,
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_sessions_user ON sessions (user_id);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at DATETIME NOT NULL,
  actor_id INTEGER NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id INTEGER NULL,
  ip TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL
);
CREATE INDEX idx_audit_at ON audit_log (at);
CREATE INDEX idx_audit_actor ON audit_log (actor_id, at);
CREATE INDEX idx_audit_entity ON audit_log (entity, at);

CREATE TABLE outbox_seq (
  id INTEGER NOT NULL PRIMARY KEY,
  seq INTEGER NOT NULL
);
INSERT INTO outbox_seq (id, seq) VALUES (1, 0);

CREATE TABLE events (
  seq INTEGER NOT NULL PRIMARY KEY,
  topic TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  relayed_at DATETIME NULL
);
CREATE INDEX idx_events_topic ON events (topic, seq);
CREATE INDEX idx_events_relay ON events (relayed_at, seq);
CREATE INDEX idx_events_created ON events (created_at);

CREATE TABLE idempotency_keys (
  user_id INTEGER NOT NULL,
  idem_key TEXT NOT NULL,
  request_hash BLOB NOT NULL,
  status INTEGER NOT NULL DEFAULT 0,
  body TEXT NULL,
  created_at DATETIME NOT NULL,
  PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX idx_idem_created ON idempotency_keys (created_at);
