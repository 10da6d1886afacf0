-- A counter per derived index: every transaction that writes enterprises bumps it, so a
-- process holding an in-memory copy (the list index) can tell whether another process wrote.
CREATE TABLE change_counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO change_counters (name, value) VALUES ('enterprises', 0);
