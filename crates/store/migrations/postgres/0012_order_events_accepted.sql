-- Only acceptance events are ever looked up by this index (the figures' first acceptance, the
-- withdrawn-before-acceptance count), so it keeps only those: every other history row (the SLA
-- scan's supervision events above all) no longer writes a random leaf page of it. `event` stays
-- a column so that the lookups remain covering.
DROP INDEX order_events_accepted;
CREATE INDEX order_events_accepted ON order_events(order_id, at, event) WHERE event = 'accepted';
