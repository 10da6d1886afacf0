-- An order at supervision level 2 or higher is proposed to its chain's council. The SLA scan
-- proposes the orders it escalates; an order an officer supervised by hand was proposed only by
-- the next scan, which therefore checked every open order at level 2 or higher for a proposal
-- (one lookup each, most of a scan with little to do). A manual supervision now proposes the
-- order itself, so the scan no longer looks; the open orders left unproposed from before are
-- proposed here, as the next scan would have done.
INSERT INTO council_proposals (order_id, chain_id, level, proposed_at)
SELECT o.id, o.chain_id, o.supervision_level, o.updated_at
FROM orders o
WHERE o.state IN ('registered', 'accepted', 'dispatched', 'in_progress', 'returned', 'suspended')
  AND o.supervision_level >= 2
  AND NOT EXISTS (SELECT 1 FROM council_proposals cp WHERE cp.order_id = o.id);
