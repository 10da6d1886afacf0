-- Foundation: zone registry, enterprises, users, sessions, audit log (SQLite dialect).
CREATE TABLE zone (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    division_code TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE registry_items (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    code TEXT,
    name TEXT NOT NULL,
    parent_id INTEGER REFERENCES registry_items(id),
    attr TEXT,
    sort INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX registry_items_kind_code ON registry_items(kind, code);
CREATE INDEX registry_items_kind_parent ON registry_items(kind, parent_id, sort);
CREATE TABLE enterprises (
    id INTEGER PRIMARY KEY,
    uscc TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    industry_code TEXT,
    registered_on TEXT,
    ownership TEXT,
    street_id INTEGER REFERENCES registry_items(id),
    park_id INTEGER REFERENCES registry_items(id),
    building_id INTEGER REFERENCES registry_items(id),
    address TEXT,
    headcount INTEGER,
    tech_staff INTEGER,
    revenue_fen INTEGER,
    rd_fen INTEGER,
    tax_fen INTEGER,
    size_band TEXT,
    contact_name TEXT,
    contact_phone TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX enterprises_street ON enterprises(street_id, id);
CREATE INDEX enterprises_park ON enterprises(park_id, id);
CREATE INDEX enterprises_size ON enterprises(size_band, id);
CREATE INDEX enterprises_name ON enterprises(name);
CREATE TABLE enterprise_nodes (
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    node_id INTEGER NOT NULL REFERENCES registry_items(id),
    chain_id INTEGER NOT NULL REFERENCES registry_items(id),
    ecosystem_id INTEGER NOT NULL REFERENCES registry_items(id),
    PRIMARY KEY (enterprise_id, node_id)
);
CREATE INDEX enterprise_nodes_node ON enterprise_nodes(node_id, enterprise_id);
CREATE INDEX enterprise_nodes_chain ON enterprise_nodes(chain_id, enterprise_id);
CREATE INDEX enterprise_nodes_eco ON enterprise_nodes(ecosystem_id, enterprise_id);
CREATE TABLE enterprise_tags (
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    tag TEXT NOT NULL,
    PRIMARY KEY (enterprise_id, tag)
);
CREATE INDEX enterprise_tags_tag ON enterprise_tags(tag, enterprise_id);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    enterprise_id INTEGER REFERENCES enterprises(id),
    department_id INTEGER REFERENCES registry_items(id),
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id INTEGER,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    before_json TEXT,
    after_json TEXT,
    source TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
