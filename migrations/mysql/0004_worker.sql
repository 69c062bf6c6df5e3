-- Worker: notifications sent (at most once per ref, person and channel), e-mail
-- preferences, the dev mailbox, report exports.
CREATE TABLE IF NOT EXISTS notifications (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ref VARCHAR(120) NOT NULL,
  user_id BIGINT NOT NULL,
  channel VARCHAR(16) NOT NULL,
  kind VARCHAR(40) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  sent_at DATETIME(6) NULL,
  UNIQUE KEY uq_notifications_ref (ref, user_id, channel),
  KEY idx_notifications_created (created_at),
  CONSTRAINT fk_notifications_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS notification_prefs (
  user_id BIGINT NOT NULL PRIMARY KEY,
  email_enabled BOOLEAN NOT NULL DEFAULT TRUE,
  updated_at DATETIME(6) NOT NULL,
  CONSTRAINT fk_notification_prefs_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS mailbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  to_addr VARCHAR(254) NOT NULL,
  subject VARCHAR(255) NOT NULL,
  text_body MEDIUMTEXT NOT NULL,
  html_body MEDIUMTEXT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  KEY idx_mailbox_to (to_addr, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS reports (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  requested_by BIGINT NOT NULL,
  kind VARCHAR(16) NOT NULL,
  format VARCHAR(8) NOT NULL,
  from_day DATE NOT NULL,
  to_day DATE NOT NULL,
  department_id BIGINT NULL,
  status VARCHAR(16) NOT NULL,
  reason VARCHAR(500) NOT NULL DEFAULT '',
  object_key VARCHAR(300) NOT NULL DEFAULT '',
  row_count BIGINT NOT NULL DEFAULT 0,
  size_bytes BIGINT NOT NULL DEFAULT 0,
  attempts INT NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  started_at DATETIME(6) NULL,
  finished_at DATETIME(6) NULL,
  KEY idx_reports_requester (requested_by, id),
  KEY idx_reports_status (status),
  CONSTRAINT fk_reports_user FOREIGN KEY (requested_by) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
