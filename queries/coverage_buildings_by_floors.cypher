// Coverage of commercial buildings per community and number of floors, at $as_of: what the coverage
// roll-up stores (queries/rollup.py), so that the coverage for any minimum of floors is a sum of its rows.
// Each building once, with its valid COVERS (as in coverage_buildings).
MATCH (x:Building)-[:LOCATED_IN]->(m:Community)
WHERE x.floors IS NOT NULL
OPTIONAL MATCH (o:PartyOrg)-[c:COVERS]->(x)
WHERE (o.founded IS NULL OR o.founded <= $as_of) AND (o.dissolved IS NULL OR o.dissolved > $as_of)
  AND (c.since IS NULL OR c.since <= $as_of) AND (c.until IS NULL OR c.until > $as_of)
WITH m, x, max(CASE WHEN c.mode = 'organizational' THEN 1 ELSE 0 END) AS organizational, count(c) AS covers
RETURN m.id AS community_id, x.floors AS floors, count(x) AS total, sum(organizational) AS organizational_covered,
       sum(CASE WHEN covers > 0 THEN 1 ELSE 0 END) AS work_covered
ORDER BY community_id, floors
