-- Web push: the VAPID key pair (generated on first start when not configured),
-- browser subscriptions, and one delivery row per (ref, person, channel), where
-- ref names what is notified: "event:<seq>" or a reminder "reminder:<shift>:<start>".
CREATE TABLE vapid_keys (
  id INTEGER NOT NULL PRIMARY KEY,
  public_key TEXT NOT NULL,
  private_key TEXT NOT NULL,
  created_at DATETIME NOT NULL
);

CREATE TABLE push_subscriptions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  endpoint TEXT NOT NULL,
  endpoint_hash BLOB NOT NULL UNIQUE,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  user_agent TEXT NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL
);
CREATE INDEX idx_push_user ON push_subscriptions (user_id);

CREATE TABLE push_deliveries (
  ref TEXT NOT NULL,
  user_id INTEGER NOT NULL,
  channel TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  sent_at DATETIME NULL,
  devices INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (ref, user_id, channel)
);
