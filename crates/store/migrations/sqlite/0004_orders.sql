-- Service loop, part two: work orders (诉求/堵点) on the 12345 loop with their history, SLA pauses,
-- callbacks (回访), co-handling departments, the category taxonomy with its routing
-- (category → lead department), SLA limits, administrator-loaded calendar years, and orders
-- proposed to a chain council after escalation (SQLite).
CREATE TABLE order_categories (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    department_id INTEGER REFERENCES registry_items(id),
    sort INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL
);
CREATE TABLE sla_limits (
    category TEXT NOT NULL,
    urgency TEXT NOT NULL,
    sla_limit TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (category, urgency)
);
CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY,
    schedule TEXT NOT NULL,
    source TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    loaded_by TEXT NOT NULL
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    tags_json TEXT NOT NULL,
    urgency TEXT NOT NULL,
    channel TEXT NOT NULL,
    node_id INTEGER REFERENCES registry_items(id),
    chain_id INTEGER REFERENCES registry_items(id),
    visit_id INTEGER,
    parent_id INTEGER REFERENCES orders(id),
    state TEXT NOT NULL,
    resume_to TEXT,
    department_id INTEGER REFERENCES registry_items(id),
    extension_json TEXT NOT NULL,
    extension_days INTEGER NOT NULL DEFAULT 0,
    supervision_level INTEGER NOT NULL DEFAULT 0,
    reopen_count INTEGER NOT NULL DEFAULT 0,
    return_count INTEGER NOT NULL DEFAULT 0,
    rating TEXT,
    sla_limit TEXT NOT NULL,
    sla_start TEXT NOT NULL,
    due_at TEXT,
    stopped_at TEXT,
    created_by INTEGER REFERENCES users(id),
    created_by_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX orders_state ON orders(state, due_at);
CREATE INDEX orders_department ON orders(department_id, state, id);
CREATE INDEX orders_enterprise ON orders(enterprise_id, id);
CREATE INDEX orders_category ON orders(category, id);
CREATE INDEX orders_created ON orders(created_at);
CREATE INDEX orders_chain ON orders(chain_id, state);
CREATE INDEX orders_parent ON orders(parent_id);
CREATE TABLE order_cohandlers (
    order_id INTEGER NOT NULL REFERENCES orders(id),
    department_id INTEGER NOT NULL REFERENCES registry_items(id),
    PRIMARY KEY (order_id, department_id)
);
CREATE INDEX order_cohandlers_dept ON order_cohandlers(department_id, order_id);
CREATE TABLE order_events (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    actor_id INTEGER REFERENCES users(id),
    actor_name TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    event TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events(order_id, id);
CREATE INDEX order_events_at ON order_events(at, event);
CREATE TABLE order_pauses (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    from_at TEXT NOT NULL,
    to_at TEXT,
    reason TEXT NOT NULL
);
CREATE INDEX order_pauses_order ON order_pauses(order_id, id);
CREATE TABLE order_callbacks (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    rating TEXT NOT NULL,
    comment TEXT NOT NULL,
    department_id INTEGER REFERENCES registry_items(id),
    by_id INTEGER REFERENCES users(id),
    by_name TEXT NOT NULL,
    by_role TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX order_callbacks_order ON order_callbacks(order_id, id);
CREATE INDEX order_callbacks_at ON order_callbacks(at);
CREATE INDEX order_callbacks_dept ON order_callbacks(department_id, at);
CREATE TABLE council_proposals (
    order_id INTEGER PRIMARY KEY REFERENCES orders(id),
    chain_id INTEGER REFERENCES registry_items(id),
    level INTEGER NOT NULL,
    proposed_at TEXT NOT NULL
);
CREATE INDEX council_proposals_chain ON council_proposals(chain_id, proposed_at);
