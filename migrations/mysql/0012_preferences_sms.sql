-- Notification preferences (per person: quiet hours, phone; per person, kind
-- and channel: on or off), phone verification codes, SMS opt-outs (STOP),
-- the SMS spend counter, and the delivery log admins read.
CREATE TABLE IF NOT EXISTS notification_settings (
  user_id BIGINT NOT NULL PRIMARY KEY,
  quiet_start SMALLINT NULL,
  quiet_end SMALLINT NULL,
  phone VARCHAR(16) NULL,
  phone_verified_at DATETIME(6) NULL,
  updated_at DATETIME(6) NOT NULL,
  KEY idx_notification_settings_phone (phone),
  CONSTRAINT fk_notification_settings_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS notification_choices (
  user_id BIGINT NOT NULL,
  kind VARCHAR(20) NOT NULL,
  channel VARCHAR(10) NOT NULL,
  enabled BOOLEAN NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (user_id, kind, channel),
  CONSTRAINT fk_notification_choices_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS phone_codes (
  user_id BIGINT NOT NULL PRIMARY KEY,
  phone VARCHAR(16) NOT NULL,
  code_hash BINARY(32) NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  expires_at DATETIME(6) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  CONSTRAINT fk_phone_codes_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sms_optouts (
  phone VARCHAR(16) NOT NULL PRIMARY KEY,
  opted_out_at DATETIME(6) NOT NULL,
  message_id VARCHAR(100) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sms_spend (
  month CHAR(7) NOT NULL PRIMARY KEY,
  messages BIGINT NOT NULL,
  micro_usd BIGINT NOT NULL
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS deliveries (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ref VARCHAR(120) NOT NULL,
  user_id BIGINT NOT NULL,
  channel VARCHAR(10) NOT NULL,
  kind VARCHAR(40) NOT NULL,
  status VARCHAR(12) NOT NULL,
  detail VARCHAR(300) NOT NULL DEFAULT '',
  attempts INT NOT NULL DEFAULT 1,
  send_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY uq_deliveries (ref, user_id, channel),
  KEY idx_deliveries_updated (updated_at),
  CONSTRAINT fk_deliveries_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
