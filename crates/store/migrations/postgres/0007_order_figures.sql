-- Per-order facts kept current by the store's order writes, so the service figures and the SLA
-- scan need no per-request history walk:
--  * accepted_at: the first acceptance (MIN(at) of the order's 'accepted' events), written with
--    the event by order_event_insert; backfilled here from the history.
--  * figures_rev: the value of the 'orders' change counter of the transaction that last wrote
--    the row (order_insert / order_update / order_supervise_batch bump it), so a process holding
--    the figures in memory reloads only the rows written since it last looked.
ALTER TABLE orders ADD COLUMN accepted_at TEXT;
ALTER TABLE orders ADD COLUMN figures_rev BIGINT NOT NULL DEFAULT 0;
UPDATE orders SET accepted_at = (SELECT MIN(ev.at) FROM order_events ev WHERE ev.event = 'accepted' AND ev.order_id = orders.id);
CREATE INDEX orders_figures_rev ON orders(figures_rev);
INSERT INTO change_counters (name, value) VALUES ('orders', 0);
-- The SLA scan reads the level with the due time from the index (only orders whose level may rise).
DROP INDEX orders_state;
CREATE INDEX orders_state ON orders(state, due_at, supervision_level);
-- The figures' visit and visit-task aggregates by chain and department read only these indexes.
CREATE INDEX visits_on_cover ON visits(visited_on, enterprise_id, team_id);
CREATE INDEX visit_tasks_due_cover ON visit_tasks(due_on, status, team_id, enterprise_id, visit_id);
