-- Notification preferences (per person: quiet hours, phone; per person, kind
-- and channel: on or off), phone verification codes, SMS opt-outs (STOP),
-- the SMS spend counter, and the delivery log admins read.
CREATE TABLE notification_settings (
  user_id INTEGER NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  quiet_start INTEGER NULL,
  quiet_end INTEGER NULL,
  phone TEXT NULL,
  phone_verified_at DATETIME NULL,
  updated_at DATETIME NOT NULL
);
CREATE INDEX idx_notification_settings_phone ON notification_settings (phone);

CREATE TABLE notification_choices (
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  channel TEXT NOT NULL,
  enabled BOOLEAN NOT NULL,
  updated_at DATETIME NOT NULL,
  PRIMARY KEY (user_id, kind, channel)
);

CREATE TABLE phone_codes (
  user_id INTEGER NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  phone TEXT NOT NULL,
  code_hash BLOB NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  expires_at DATETIME NOT NULL,
  created_at DATETIME NOT NULL
);

CREATE TABLE sms_optouts (
  phone TEXT NOT NULL PRIMARY KEY,
  opted_out_at DATETIME NOT NULL,
  message_id TEXT NOT NULL
);

CREATE TABLE sms_spend (
  month TEXT NOT NULL PRIMARY KEY,
  messages INTEGER NOT NULL,
  micro_usd INTEGER NOT NULL
);

CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ref TEXT NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 1,
  send_at DATETIME NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  UNIQUE (ref, user_id, channel)
);
CREATE INDEX idx_deliveries_updated ON deliveries (updated_at);
