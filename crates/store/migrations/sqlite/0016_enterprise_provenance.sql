-- Provenance of the enterprise figures that decide benefits (SQLite).
-- `enterprise_field_sources`: where the value in force of a verified field came from; no row
-- means imported (an authority's file, the demo, or a record written before this migration).
-- `enterprise_corrections`: changes proposed by enterprise users or service teams, waiting for a
-- department officer or an administrator; at most one pending per enterprise and field.
-- `policy_notices.sources`: the sources of the figures a 免申即享 notice was computed from (JSON).
CREATE TABLE enterprise_field_sources (
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    field TEXT NOT NULL,
    source TEXT NOT NULL,
    set_by TEXT NOT NULL,
    reported_by TEXT,
    set_at TEXT NOT NULL,
    PRIMARY KEY (enterprise_id, field)
);
CREATE TABLE enterprise_corrections (
    id INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    field TEXT NOT NULL,
    current_value TEXT NOT NULL,
    proposed_value TEXT NOT NULL,
    status TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_role TEXT NOT NULL,
    proposed_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    reason TEXT,
    CHECK (status IN ('pending', 'accepted', 'rejected'))
);
CREATE UNIQUE INDEX enterprise_corrections_one_pending ON enterprise_corrections(enterprise_id, field) WHERE status = 'pending';
CREATE INDEX enterprise_corrections_status ON enterprise_corrections(status, id);
CREATE INDEX enterprise_corrections_enterprise ON enterprise_corrections(enterprise_id, id);
ALTER TABLE policy_notices ADD COLUMN sources TEXT;
