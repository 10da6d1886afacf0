-- Native PostgreSQL types (issue 11): PostgreSQL's 0017_native_types.sql turns its timestamps,
-- days, flags and documents into timestamptz, date, boolean and jsonb. SQLite has no such column
-- types: it keeps RFC 3339 text, YYYY-MM-DD text, 0/1 integers and JSON text, which is what the
-- store binds and reads on both backends. Nothing to change here.
SELECT 1;
