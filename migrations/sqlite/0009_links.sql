-- Links that act without signing in (acknowledge a schedule from an e-mail,
-- unsubscribe): a random token of which only the SHA-256 is stored, bound to
-- one purpose, one person and one object, with an expiry and, for links that
-- work once, the time of their use.
CREATE TABLE links (
  token_hash BLOB NOT NULL PRIMARY KEY,
  purpose TEXT NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  subject TEXT NOT NULL,
  expires_at DATETIME NOT NULL,
  used_at DATETIME NULL,
  created_at DATETIME NOT NULL
);
CREATE INDEX idx_links_expires ON links (expires_at);
