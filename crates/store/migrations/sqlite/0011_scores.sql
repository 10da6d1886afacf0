-- Innovation points for loans (积分贷): the versioned indicator model, scoring runs with each
-- enterprise's score and explanation, enterprises' consent to financial institutions, and the
-- loans institutions record (SQLite).
CREATE TABLE score_models (
    id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL,
    model_json TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE score_runs (
    id INTEGER PRIMARY KEY,
    model_version INTEGER NOT NULL REFERENCES score_models(version),
    scored_on TEXT NOT NULL,
    enterprises INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE enterprise_scores (
    run_id INTEGER NOT NULL REFERENCES score_runs(id),
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    stage TEXT NOT NULL,
    score_x100 INTEGER NOT NULL,
    rank_in_stage INTEGER NOT NULL,
    stage_size INTEGER NOT NULL,
    explain_json TEXT NOT NULL,
    PRIMARY KEY (run_id, enterprise_id)
);
CREATE INDEX enterprise_scores_enterprise ON enterprise_scores(enterprise_id, run_id);
CREATE INDEX enterprise_scores_stage ON enterprise_scores(run_id, stage, score_x100);
CREATE TABLE score_consents (
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    institution_id INTEGER NOT NULL REFERENCES registry_items(id),
    granted INTEGER NOT NULL,
    granted_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (enterprise_id, institution_id)
);
CREATE INDEX score_consents_institution ON score_consents(institution_id, granted, enterprise_id);
CREATE TABLE score_loans (
    id INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    institution_id INTEGER NOT NULL REFERENCES registry_items(id),
    amount_fen INTEGER NOT NULL,
    rate_bp INTEGER NOT NULL,
    term_months INTEGER NOT NULL,
    granted_on TEXT NOT NULL,
    score_x100 INTEGER,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX score_loans_institution ON score_loans(institution_id, granted_on);
CREATE INDEX score_loans_enterprise ON score_loans(enterprise_id, granted_on);
