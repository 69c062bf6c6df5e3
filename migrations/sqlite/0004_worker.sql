-- Worker: notifications sent (at most once per ref, person and channel), e-mail
-- preferences, the dev mailbox, report exports.
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ref TEXT NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  kind TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  sent_at DATETIME NULL,
  UNIQUE (ref, user_id, channel)
);
CREATE INDEX idx_notifications_created ON notifications (created_at);

CREATE TABLE notification_prefs (
  user_id INTEGER NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  email_enabled BOOLEAN NOT NULL DEFAULT 1,
  updated_at DATETIME NOT NULL
);

CREATE TABLE mailbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  to_addr TEXT NOT NULL,
  subject TEXT NOT NULL,
  text_body TEXT NOT NULL,
  html_body TEXT NOT NULL,
  created_at DATETIME NOT NULL
);
CREATE INDEX idx_mailbox_to ON mailbox (to_addr, id);

CREATE TABLE reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  requested_by INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  format TEXT NOT NULL,
  from_day DATE NOT NULL,
  to_day DATE NOT NULL,
  department_id INTEGER NULL,
  status TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  object_key TEXT NOT NULL DEFAULT '',
  row_count INTEGER NOT NULL DEFAULT 0,
  size_bytes INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL,
  started_at DATETIME NULL,
  finished_at DATETIME NULL
);
CREATE INDEX idx_reports_requester ON reports (requested_by, id);
CREATE INDEX idx_reports_status ON reports (status);
