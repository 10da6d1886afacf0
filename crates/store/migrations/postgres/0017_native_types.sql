-- Native PostgreSQL types (issue 11): timestamps become timestamptz, days date, flags boolean and
-- documents jsonb, every row kept. The store binds and reads them through `sql` (the same RFC 3339
-- text, YYYY-MM-DD text, 0/1 and JSON text as on SQLite, whose tables keep their storage; see its
-- 0017_native_types.sql). `schema_migrations` is the runner's own table and stays as it is.
SET LOCAL TimeZone = 'UTC';
ALTER TABLE audit_log ALTER COLUMN after_json TYPE jsonb USING after_json::jsonb,
    ALTER COLUMN at TYPE timestamptz USING at::timestamptz,
    ALTER COLUMN before_json TYPE jsonb USING before_json::jsonb;
ALTER TABLE calendar_years ALTER COLUMN loaded_at TYPE timestamptz USING loaded_at::timestamptz;
ALTER TABLE council_action_updates ALTER COLUMN at TYPE timestamptz USING at::timestamptz;
ALTER TABLE council_actions ALTER COLUMN closed_on TYPE date USING closed_on::date,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN due_on TYPE date USING due_on::date,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE council_agenda_items ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz;
ALTER TABLE council_proposals ALTER COLUMN proposed_at TYPE timestamptz USING proposed_at::timestamptz;
ALTER TABLE councils ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN held_on TYPE date USING held_on::date,
    ALTER COLUMN scheduled_on TYPE date USING scheduled_on::date,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE enterprise_corrections ALTER COLUMN decided_at TYPE timestamptz USING decided_at::timestamptz,
    ALTER COLUMN proposed_at TYPE timestamptz USING proposed_at::timestamptz;
ALTER TABLE enterprise_field_sources ALTER COLUMN set_at TYPE timestamptz USING set_at::timestamptz;
ALTER TABLE enterprise_indicators ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE enterprise_scores ALTER COLUMN explain_json TYPE jsonb USING explain_json::jsonb;
ALTER TABLE enterprises ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN registered_on TYPE date USING registered_on::date,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE login_throttle ALTER COLUMN blocked_until TYPE timestamptz USING blocked_until::timestamptz,
    ALTER COLUMN last_failure_at TYPE timestamptz USING last_failure_at::timestamptz,
    ALTER COLUMN last_success_at TYPE timestamptz USING last_success_at::timestamptz;
ALTER TABLE order_callbacks ALTER COLUMN at TYPE timestamptz USING at::timestamptz;
ALTER TABLE order_categories ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE order_events ALTER COLUMN at TYPE timestamptz USING at::timestamptz,
    ALTER COLUMN payload_json TYPE jsonb USING payload_json::jsonb;
ALTER TABLE order_pauses ALTER COLUMN from_at TYPE timestamptz USING from_at::timestamptz,
    ALTER COLUMN to_at TYPE timestamptz USING to_at::timestamptz;
ALTER TABLE orders ALTER COLUMN accepted_at TYPE timestamptz USING accepted_at::timestamptz,
    ALTER COLUMN closed_at TYPE timestamptz USING closed_at::timestamptz,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN due_at TYPE timestamptz USING due_at::timestamptz,
    ALTER COLUMN extension_json TYPE jsonb USING extension_json::jsonb,
    ALTER COLUMN sla_start TYPE timestamptz USING sla_start::timestamptz,
    ALTER COLUMN stopped_at TYPE timestamptz USING stopped_at::timestamptz,
    ALTER COLUMN tags_json TYPE jsonb USING tags_json::jsonb,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE policies ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz,
    ALTER COLUMN window_from TYPE date USING window_from::date,
    ALTER COLUMN window_to TYPE date USING window_to::date;
ALTER TABLE policy_notices ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN decided_at TYPE timestamptz USING decided_at::timestamptz;
ALTER TABLE policy_runs ALTER COLUMN finished_at TYPE timestamptz USING finished_at::timestamptz,
    ALTER COLUMN started_at TYPE timestamptz USING started_at::timestamptz;
ALTER TABLE registry_items ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE score_consents ALTER COLUMN granted_at TYPE timestamptz USING granted_at::timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE score_loans ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN granted_on TYPE date USING granted_on::date;
ALTER TABLE score_models ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN model_json TYPE jsonb USING model_json::jsonb;
ALTER TABLE score_runs ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN scored_on TYPE date USING scored_on::date;
ALTER TABLE service_teams ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE sessions ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN expires_at TYPE timestamptz USING expires_at::timestamptz,
    ALTER COLUMN last_seen_at TYPE timestamptz USING last_seen_at::timestamptz;
ALTER TABLE sla_limits ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE subsidy_applications ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN decided_at TYPE timestamptz USING decided_at::timestamptz,
    ALTER COLUMN disbursed_at TYPE timestamptz USING disbursed_at::timestamptz,
    ALTER COLUMN reviewed_at TYPE timestamptz USING reviewed_at::timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE subsidy_budgets ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE subsidy_group_claims ALTER COLUMN at TYPE timestamptz USING at::timestamptz;
ALTER TABLE subsidy_ledger ALTER COLUMN at TYPE timestamptz USING at::timestamptz;
ALTER TABLE team_assignment_history ALTER COLUMN at TYPE timestamptz USING at::timestamptz;
ALTER TABLE team_assignments ALTER COLUMN assigned_at TYPE timestamptz USING assigned_at::timestamptz;
ALTER TABLE users ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN locked_until TYPE timestamptz USING locked_until::timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE visit_rules ALTER COLUMN trigger_json TYPE jsonb USING trigger_json::jsonb,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE visit_tasks ALTER COLUMN closed_at TYPE timestamptz USING closed_at::timestamptz,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN due_on TYPE date USING due_on::date,
    ALTER COLUMN triggered_on TYPE date USING triggered_on::date;
ALTER TABLE visits ALTER COLUMN attachments_json TYPE jsonb USING attachments_json::jsonb,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN visited_on TYPE date USING visited_on::date;
ALTER TABLE voucher_providers ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz;
ALTER TABLE voucher_redemptions ALTER COLUMN confirmed_at TYPE timestamptz USING confirmed_at::timestamptz,
    ALTER COLUMN rejected_at TYPE timestamptz USING rejected_at::timestamptz,
    ALTER COLUMN submitted_at TYPE timestamptz USING submitted_at::timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz,
    ALTER COLUMN written_off_at TYPE timestamptz USING written_off_at::timestamptz;
ALTER TABLE voucher_related_parties ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz;
ALTER TABLE voucher_rounds ALTER COLUMN closes_on TYPE date USING closes_on::date,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN opens_on TYPE date USING opens_on::date,
    ALTER COLUMN valid_until TYPE date USING valid_until::date;
ALTER TABLE voucher_schemes ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN rules_json TYPE jsonb USING rules_json::jsonb,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE vouchers ALTER COLUMN expired_at TYPE timestamptz USING expired_at::timestamptz,
    ALTER COLUMN granted_at TYPE timestamptz USING granted_at::timestamptz,
    ALTER COLUMN valid_until TYPE date USING valid_until::date;
ALTER TABLE zone ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
ALTER TABLE users ALTER COLUMN active DROP DEFAULT, ALTER COLUMN active TYPE boolean USING active <> 0, ALTER COLUMN active SET DEFAULT TRUE;
ALTER TABLE order_categories ALTER COLUMN active DROP DEFAULT, ALTER COLUMN active TYPE boolean USING active <> 0, ALTER COLUMN active SET DEFAULT TRUE;
ALTER TABLE service_teams ALTER COLUMN active DROP DEFAULT, ALTER COLUMN active TYPE boolean USING active <> 0, ALTER COLUMN active SET DEFAULT TRUE;
ALTER TABLE visit_rules ALTER COLUMN active DROP DEFAULT, ALTER COLUMN active TYPE boolean USING active <> 0, ALTER COLUMN active SET DEFAULT TRUE;
ALTER TABLE voucher_providers ALTER COLUMN active DROP DEFAULT, ALTER COLUMN active TYPE boolean USING active <> 0, ALTER COLUMN active SET DEFAULT TRUE;
ALTER TABLE score_consents ALTER COLUMN granted TYPE boolean USING granted <> 0;
