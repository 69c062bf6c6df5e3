-- Announcements: a post to some departments (or, with store_wide, to
-- everyone), optionally pinned, expiring and asking for acknowledgement, and
-- each recipient's read (first shown on screen, acknowledged).
CREATE TABLE IF NOT EXISTS announcements (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  author_id BIGINT NOT NULL,
  title VARCHAR(200) NOT NULL,
  body TEXT NOT NULL,
  store_wide BOOLEAN NOT NULL DEFAULT FALSE,
  pinned BOOLEAN NOT NULL DEFAULT FALSE,
  needs_ack BOOLEAN NOT NULL DEFAULT FALSE,
  expires_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  KEY idx_announcements_created (created_at),
  CONSTRAINT fk_announcements_author FOREIGN KEY (author_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS announcement_departments (
  announcement_id BIGINT NOT NULL,
  department_id BIGINT NOT NULL,
  PRIMARY KEY (announcement_id, department_id),
  KEY idx_announcement_departments_dept (department_id),
  CONSTRAINT fk_ann_depts_ann FOREIGN KEY (announcement_id) REFERENCES announcements (id) ON DELETE CASCADE,
  CONSTRAINT fk_ann_depts_dept FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS announcement_reads (
  announcement_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  seen_at DATETIME(6) NOT NULL,
  acked_at DATETIME(6) NULL,
  PRIMARY KEY (announcement_id, user_id),
  CONSTRAINT fk_ann_reads_ann FOREIGN KEY (announcement_id) REFERENCES announcements (id) ON DELETE CASCADE,
  CONSTRAINT fk_ann_reads_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Schedule acknowledgement: one row per person whose shifts a publish of a
-- department's week made public. A later publish that gives the person new
-- shifts that week asks again (seen, acked and reminded cleared, remind_at
-- moved). remind_at is when the one reminder is due (the store's
-- ack_reminder_hours after the publish); NULL means no reminder.
CREATE TABLE IF NOT EXISTS schedule_acks (
  department_id BIGINT NOT NULL,
  week_start CHAR(10) NOT NULL,
  user_id BIGINT NOT NULL,
  published_at DATETIME(6) NOT NULL,
  remind_at DATETIME(6) NULL,
  seen_at DATETIME(6) NULL,
  acked_at DATETIME(6) NULL,
  reminded_at DATETIME(6) NULL,
  PRIMARY KEY (department_id, week_start, user_id),
  KEY idx_schedule_acks_user (user_id, week_start),
  KEY idx_schedule_acks_remind (remind_at),
  CONSTRAINT fk_schedule_acks_dept FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE CASCADE,
  CONSTRAINT fk_schedule_acks_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

ALTER TABLE store ADD COLUMN ack_reminder_hours INT NOT NULL DEFAULT 24;
