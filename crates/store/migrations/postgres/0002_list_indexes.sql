-- Enterprise list at scale: place + size filters are answered (and counted) from one index.
CREATE INDEX enterprises_street_size ON enterprises(street_id, size_band, id);
CREATE INDEX enterprises_park_size ON enterprises(park_id, size_band, id);
-- Fresh planner statistics, so that existing databases pick the new indexes only where they help.
ANALYZE enterprises;
