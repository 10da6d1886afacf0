-- Service loop, part one: service teams and 包联 (assignments with history), yearly indicators,
-- visit rules (三必访, configuration), visit tasks created by rules, and the visit log (SQLite).
CREATE TABLE service_teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    leader_id INTEGER REFERENCES users(id),
    note TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES service_teams(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    department_id INTEGER REFERENCES registry_items(id),
    sort INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members(user_id, team_id);
CREATE TABLE team_assignments (
    enterprise_id INTEGER PRIMARY KEY REFERENCES enterprises(id),
    team_id INTEGER NOT NULL REFERENCES service_teams(id),
    contact_user_id INTEGER REFERENCES users(id),
    assigned_at TEXT NOT NULL,
    assigned_by TEXT NOT NULL
);
CREATE INDEX team_assignments_team ON team_assignments(team_id, enterprise_id);
CREATE TABLE team_assignment_history (
    id INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    from_team_id INTEGER REFERENCES service_teams(id),
    to_team_id INTEGER REFERENCES service_teams(id),
    from_contact_id INTEGER REFERENCES users(id),
    to_contact_id INTEGER REFERENCES users(id),
    at TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX team_assignment_history_ent ON team_assignment_history(enterprise_id, id);
CREATE TABLE enterprise_indicators (
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    period TEXT NOT NULL,
    revenue_fen INTEGER,
    headcount INTEGER,
    tax_fen INTEGER,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (enterprise_id, period)
);
CREATE TABLE visit_rules (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    trigger_kind TEXT NOT NULL,
    trigger_json TEXT NOT NULL,
    deadline_workdays INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    sort INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE visit_tasks (
    id INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    team_id INTEGER REFERENCES service_teams(id),
    rule_id INTEGER NOT NULL REFERENCES visit_rules(id),
    trigger_key TEXT NOT NULL,
    status TEXT NOT NULL,
    triggered_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    reason_zh TEXT NOT NULL,
    reason_en TEXT NOT NULL,
    calendar_note TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    closed_at TEXT,
    visit_id INTEGER
);
CREATE UNIQUE INDEX visit_tasks_instance ON visit_tasks(enterprise_id, rule_id, trigger_key);
CREATE INDEX visit_tasks_team ON visit_tasks(team_id, status, due_on);
CREATE INDEX visit_tasks_status ON visit_tasks(status, due_on);
CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    team_id INTEGER REFERENCES service_teams(id),
    visited_on TEXT NOT NULL,
    summary TEXT NOT NULL,
    attachments_json TEXT NOT NULL,
    recorded_by INTEGER REFERENCES users(id),
    recorded_by_name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX visits_enterprise ON visits(enterprise_id, visited_on);
CREATE INDEX visits_team ON visits(team_id, visited_on);
CREATE INDEX visits_on ON visits(visited_on);
CREATE TABLE visit_participants (
    visit_id INTEGER NOT NULL REFERENCES visits(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (visit_id, user_id)
);
CREATE INDEX visit_participants_user ON visit_participants(user_id, visit_id);
