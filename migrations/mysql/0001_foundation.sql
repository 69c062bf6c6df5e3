-- Foundation: store settings, departments, people, sessions, audit, outbox, idempotency.
CREATE TABLE IF NOT EXISTS store (
  id TINYINT NOT NULL PRIMARY KEY,
  name VARCHAR(120) NOT NULL,
  timezone VARCHAR(64) NOT NULL,
  week_starts_on TINYINT NOT NULL DEFAULT 1,
  min_rest_hours INT NOT NULL DEFAULT 10,
  reminder_hours INT NOT NULL DEFAULT 12,
  late_grace_minutes INT NOT NULL DEFAULT 5,
  clock_in_early_minutes INT NOT NULL DEFAULT 15,
  claims_need_approval BOOLEAN NOT NULL DEFAULT TRUE,
  event_retention_days INT NOT NULL DEFAULT 7,
  version BIGINT NOT NULL DEFAULT 1,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS departments (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(80) NOT NULL,
  color VARCHAR(7) NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY uq_departments_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS users (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(254) NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  first_name VARCHAR(80) NOT NULL,
  last_name VARCHAR(80) NOT NULL,
  phone VARCHAR(40) NOT NULL DEFAULT '',
  role VARCHAR(16) NOT NULL,
  hired_on DATE NULL,
  active BOOLEAN NOT NULL DEFAULT TRUE,
  max_hours_per_week INT NOT NULL DEFAULT 40,
  pay_rate_cents INT NOT NULL DEFAULT 0,
  version BIGINT NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY uq_users_email (email),
  KEY idx_users_role (role)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS user_departments (
  user_id BIGINT NOT NULL,
  department_id BIGINT NOT NULL,
  PRIMARY KEY (user_id, department_id),
  KEY idx_user_departments_dept (department_id),
  CONSTRAINT fk_ud_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT fk_ud_dept FOREIGN KEY (department_id) REFERENCES departments (id)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS sessions (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  token_hash BINARY(32) NOT NULL,
  user_id BIGINT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  revoked_at DATETIME(6) NULL,
  ip VARCHAR(64) NOT NULL DEFAULT '',
  user_agent VARCHAR(255) NOT NULL DEFAULT '',
  UNIQUE KEY uq_sessions_token (token_hash),
  KEY idx_sessions_user (user_id),
  CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at DATETIME(6) NOT NULL,
  actor_id BIGINT NULL,
  action VARCHAR(64) NOT NULL,
  entity VARCHAR(40) NOT NULL,
  entity_id BIGINT NULL,
  ip VARCHAR(64) NOT NULL DEFAULT '',
  request_id VARCHAR(64) NOT NULL DEFAULT '',
  detail TEXT NOT NULL,
  KEY idx_audit_at (at),
  KEY idx_audit_actor (actor_id, at),
  KEY idx_audit_entity (entity, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS outbox_seq (
  id TINYINT NOT NULL PRIMARY KEY,
  seq BIGINT NOT NULL
) ENGINE=InnoDB;

INSERT IGNORE INTO outbox_seq (id, seq) VALUES (1, 0);

CREATE TABLE IF NOT EXISTS events (
  seq BIGINT NOT NULL PRIMARY KEY,
  topic VARCHAR(64) NOT NULL,
  type VARCHAR(64) NOT NULL,
  payload MEDIUMTEXT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  relayed_at DATETIME(6) NULL,
  KEY idx_events_topic (topic, seq),
  KEY idx_events_relay (relayed_at, seq),
  KEY idx_events_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS idempotency_keys (
  user_id BIGINT NOT NULL,
  idem_key VARCHAR(255) NOT NULL,
  request_hash BINARY(32) NOT NULL,
  status INT NOT NULL DEFAULT 0,
  body MEDIUMTEXT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (user_id, idem_key),
  KEY idx_idem_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
