// Which coverage roll-ups are stored and complete: one marker per target and as-of date, written last.
MATCH (r:CoverageRollup)
WHERE r.community_id = ''
RETURN r.target AS target, r.as_of AS as_of
ORDER BY target, as_of
