-- Service loop, part three: chain councils (链上议事会) with their meetings, rotating host,
-- attendees, agenda (drafted from escalated orders and recurring pain points, then edited),
-- decisions (决议) as action items with progress, linked to the orders they answer; plus the
-- indexes the service figures need (SQLite).
CREATE TABLE councils (
    id INTEGER PRIMARY KEY,
    chain_id INTEGER NOT NULL REFERENCES registry_items(id),
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    scheduled_on TEXT NOT NULL,
    host_id INTEGER REFERENCES registry_items(id),
    location TEXT NOT NULL,
    status TEXT NOT NULL,
    minutes TEXT NOT NULL,
    held_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX councils_chain_year_seq ON councils(chain_id, year, seq);
CREATE INDEX councils_scheduled ON councils(scheduled_on, chain_id);
CREATE TABLE council_attendees (
    council_id INTEGER NOT NULL REFERENCES councils(id),
    kind TEXT NOT NULL,
    ref_id INTEGER NOT NULL,
    PRIMARY KEY (council_id, kind, ref_id)
);
CREATE TABLE council_agenda_items (
    id INTEGER PRIMARY KEY,
    council_id INTEGER NOT NULL REFERENCES councils(id),
    sort INTEGER NOT NULL,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    node_id INTEGER REFERENCES registry_items(id),
    category TEXT,
    enterprises INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX council_agenda_items_council ON council_agenda_items(council_id, sort);
CREATE TABLE council_agenda_orders (
    item_id INTEGER NOT NULL REFERENCES council_agenda_items(id),
    order_id INTEGER NOT NULL REFERENCES orders(id),
    PRIMARY KEY (item_id, order_id)
);
CREATE INDEX council_agenda_orders_order ON council_agenda_orders(order_id, item_id);
CREATE TABLE council_actions (
    id INTEGER PRIMARY KEY,
    council_id INTEGER NOT NULL REFERENCES councils(id),
    chain_id INTEGER NOT NULL REFERENCES registry_items(id),
    item_id INTEGER REFERENCES council_agenda_items(id),
    decision TEXT NOT NULL,
    department_id INTEGER REFERENCES registry_items(id),
    due_on TEXT NOT NULL,
    progress INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    closed_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX council_actions_council ON council_actions(council_id, id);
CREATE INDEX council_actions_closed ON council_actions(status, closed_on, chain_id, department_id);
CREATE INDEX council_actions_department ON council_actions(department_id, status);
CREATE TABLE council_action_orders (
    action_id INTEGER NOT NULL REFERENCES council_actions(id),
    order_id INTEGER NOT NULL REFERENCES orders(id),
    relation TEXT NOT NULL,
    PRIMARY KEY (action_id, order_id)
);
CREATE INDEX council_action_orders_order ON council_action_orders(order_id, action_id);
CREATE TABLE council_action_updates (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES council_actions(id),
    progress INTEGER NOT NULL,
    note TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX council_action_updates_action ON council_action_updates(action_id, id);
-- Figures: orders received in a period with what the counts need, read from the index alone.
CREATE INDEX orders_figures ON orders(created_at, state, department_id, chain_id, enterprise_id, due_at, stopped_at);
CREATE INDEX orders_node_category ON orders(chain_id, node_id, category, created_at);
CREATE INDEX order_events_accepted ON order_events(event, order_id, at);
CREATE INDEX visit_tasks_due ON visit_tasks(due_on, status, team_id);
