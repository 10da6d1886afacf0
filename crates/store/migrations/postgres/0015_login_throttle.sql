-- Login back-off (issue 9): failure counts per account, per client address and per
-- (account, client) pair, kept in the database so every server on it shares them. A row with
-- client '' is an account's; a row with account '' is a client's. Unknown usernames get rows too,
-- so the answer never shows which accounts exist.
CREATE TABLE login_throttle (
    account TEXT NOT NULL,
    client TEXT NOT NULL,
    failures BIGINT NOT NULL DEFAULT 0,
    last_failure_at TEXT,
    blocked_until TEXT,
    last_success_at TEXT,
    PRIMARY KEY (account, client)
);
CREATE INDEX login_throttle_last_failure ON login_throttle(last_failure_at);
