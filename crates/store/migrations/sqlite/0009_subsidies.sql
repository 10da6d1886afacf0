-- Subsidies (快申快享): budgets per policy and year, applications with their review states, the
-- append-only disbursement ledger (corrections are reversing entries), and the claims that keep
-- one enterprise to one policy per exclusive group and year (不重复享受) (SQLite).
CREATE TABLE subsidy_budgets (
    policy_id INTEGER NOT NULL REFERENCES policies(id),
    year INTEGER NOT NULL,
    budget_fen INTEGER NOT NULL,
    spent_fen INTEGER NOT NULL DEFAULT 0,
    committed_fen INTEGER NOT NULL DEFAULT 0,
    enterprise_cap_fen INTEGER,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (policy_id, year)
);
CREATE TABLE subsidy_applications (
    id INTEGER PRIMARY KEY,
    policy_id INTEGER NOT NULL REFERENCES policies(id),
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    year INTEGER NOT NULL,
    amount_fen INTEGER NOT NULL,
    approved_fen INTEGER,
    state TEXT NOT NULL,
    origin TEXT NOT NULL,
    request_key TEXT NOT NULL UNIQUE,
    note TEXT NOT NULL,
    reason TEXT,
    created_by INTEGER,
    created_by_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    reviewed_by TEXT,
    reviewed_at TEXT,
    decided_by TEXT,
    decided_at TEXT,
    disbursed_at TEXT,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX subsidy_applications_policy ON subsidy_applications(policy_id, year, state);
CREATE INDEX subsidy_applications_enterprise ON subsidy_applications(enterprise_id, id);
CREATE INDEX subsidy_applications_state ON subsidy_applications(state, id);
CREATE TABLE subsidy_ledger (
    id INTEGER PRIMARY KEY,
    policy_id INTEGER NOT NULL REFERENCES policies(id),
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    application_id INTEGER NOT NULL REFERENCES subsidy_applications(id),
    year INTEGER NOT NULL,
    department_id INTEGER REFERENCES registry_items(id),
    amount_fen INTEGER NOT NULL,
    reverses_id INTEGER REFERENCES subsidy_ledger(id),
    request_key TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    actor_id INTEGER,
    actor_name TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE UNIQUE INDEX subsidy_ledger_reverses ON subsidy_ledger(reverses_id);
CREATE UNIQUE INDEX subsidy_ledger_one_payout ON subsidy_ledger(application_id) WHERE reverses_id IS NULL;
CREATE INDEX subsidy_ledger_year ON subsidy_ledger(year, policy_id);
CREATE INDEX subsidy_ledger_enterprise ON subsidy_ledger(enterprise_id, year, policy_id);
CREATE TRIGGER subsidy_ledger_no_update BEFORE UPDATE ON subsidy_ledger
BEGIN
    SELECT RAISE(ABORT, 'subsidy_ledger is append-only');
END;
CREATE TRIGGER subsidy_ledger_no_delete BEFORE DELETE ON subsidy_ledger
BEGIN
    SELECT RAISE(ABORT, 'subsidy_ledger is append-only');
END;
CREATE TABLE subsidy_group_claims (
    group_code TEXT NOT NULL,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    year INTEGER NOT NULL,
    policy_id INTEGER NOT NULL REFERENCES policies(id),
    at TEXT NOT NULL,
    PRIMARY KEY (group_code, enterprise_id, year)
);
