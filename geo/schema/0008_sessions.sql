-- 0008: staff sessions in the store, so that a restart of the portal does
-- not log the headquarters out and several portal instances share them.
-- The session id (the cookie's value) is never stored: only its keyed
-- BLAKE2b-256 hash.  A session ends at expires_at (one shift after login),
-- at logout, and when its user is disabled or gets a new password (the
-- store deletes the user's rows in the same transaction).
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf TEXT NOT NULL CHECK (length(csrf) BETWEEN 16 AND 64
    AND csrf NOT GLOB '*[^A-Za-z0-9_-]*'),
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL CHECK (last_seen_at >= created_at),
  expires_at INTEGER NOT NULL CHECK (expires_at > created_at)
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- The audit log is read by time, by user and by entity (GET /api/v1/audit).
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (user_id, id);
CREATE INDEX audit_log_object ON audit_log (object, id);
