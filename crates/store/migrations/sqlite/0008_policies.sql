-- Benefit policies and services (惠企政策/服务): the catalogue (one row per rule-file entry, with the
-- entry's TOML as `source`), 免申即享 batch runs, and the notices they push to enterprises (SQLite).
CREATE TABLE policies (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    department_id INTEGER REFERENCES registry_items(id),
    department_code TEXT NOT NULL,
    legal_ref TEXT NOT NULL,
    who TEXT NOT NULL,
    track TEXT NOT NULL,
    status TEXT NOT NULL,
    window_from TEXT,
    window_to TEXT,
    materials TEXT NOT NULL,
    contact TEXT NOT NULL,
    group_code TEXT,
    benefit TEXT,
    source TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX policies_department ON policies(department_id, id);
CREATE INDEX policies_status ON policies(status, track, id);
CREATE TABLE policy_runs (
    id INTEGER PRIMARY KEY,
    on_date TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    policies INTEGER NOT NULL DEFAULT 0,
    enterprises INTEGER NOT NULL DEFAULT 0,
    eligible INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL DEFAULT 0,
    visit_tasks INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE policy_notices (
    id INTEGER PRIMARY KEY,
    policy_id INTEGER NOT NULL REFERENCES policies(id),
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    run_id INTEGER REFERENCES policy_runs(id),
    period TEXT NOT NULL,
    amount_fen INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    reason TEXT,
    created_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT,
    UNIQUE (policy_id, enterprise_id, period)
);
CREATE INDEX policy_notices_enterprise ON policy_notices(enterprise_id, id);
CREATE INDEX policy_notices_run ON policy_notices(run_id, id);
