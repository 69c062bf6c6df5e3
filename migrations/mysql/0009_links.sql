-- Links that act without signing in (acknowledge a schedule from an e-mail,
-- unsubscribe): a random token of which only the SHA-256 is stored, bound to
-- one purpose, one person and one object, with an expiry and, for links that
-- work once, the time of their use.
CREATE TABLE IF NOT EXISTS links (
  token_hash BINARY(32) NOT NULL PRIMARY KEY,
  purpose VARCHAR(40) NOT NULL,
  user_id BIGINT NOT NULL,
  subject VARCHAR(120) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  used_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  KEY idx_links_expires (expires_at),
  CONSTRAINT fk_links_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;
