-- Announcements: a post to some departments (or, with store_wide, to
-- everyone), optionally pinned, expiring and asking for acknowledgement, and
-- each recipient's read (first shown on screen, acknowledged).
CREATE TABLE announcements (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  author_id INTEGER NOT NULL REFERENCES users (id),
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  store_wide BOOLEAN NOT NULL DEFAULT 0,
  pinned BOOLEAN NOT NULL DEFAULT 0,
  needs_ack BOOLEAN NOT NULL DEFAULT 0,
  expires_at DATETIME NULL,
  created_at DATETIME NOT NULL
);
CREATE INDEX idx_announcements_created ON announcements (created_at);

CREATE TABLE announcement_departments (
  announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
  department_id INTEGER NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
  PRIMARY KEY (announcement_id, department_id)
);
CREATE INDEX idx_announcement_departments_dept ON announcement_departments (department_id);

CREATE TABLE announcement_reads (
  announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  seen_at DATETIME NOT NULL,
  acked_at DATETIME NULL,
  PRIMARY KEY (announcement_id, user_id)
);

-- Schedule acknowledgement: one row per person whose shifts a publish of a
-- department's week made public. A later publish that gives the person new
-- shifts that week asks again (seen, acked and reminded cleared, remind_at
-- moved). remind_at is when the one reminder is due (the store's
-- ack_reminder_hours after the publish); NULL means no reminder.
CREATE TABLE schedule_acks (
  department_id INTEGER NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
  week_start TEXT NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  published_at DATETIME NOT NULL,
  remind_at DATETIME NULL,
  seen_at DATETIME NULL,
  acked_at DATETIME NULL,
  reminded_at DATETIME NULL,
  PRIMARY KEY (department_id, week_start, user_id)
);
CREATE INDEX idx_schedule_acks_user ON schedule_acks (user_id, week_start);
CREATE INDEX idx_schedule_acks_remind ON schedule_acks (remind_at);

ALTER TABLE store ADD COLUMN ack_reminder_hours INTEGER NOT NULL DEFAULT 24;
