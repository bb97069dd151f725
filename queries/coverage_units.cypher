// Everything a coverage summary counts, with the community it is counted in: each compound and building in every
// community it is located in (buildings with their floors), each enterprise once, in the first community by id of
// its places (as coverage_compounds, coverage_buildings and coverage_enterprises count them). With
// coverage_intervals, what queries/coverage_intervals.py computes coverage from at any date.
MATCH (x:Compound)-[:LOCATED_IN]->(m:Community)
RETURN 'compound' AS counted, x.id AS id, m.id AS community_id, 0 AS floors
UNION ALL
MATCH (x:Building)-[:LOCATED_IN]->(m:Community)
WHERE x.floors IS NOT NULL
RETURN 'building' AS counted, x.id AS id, m.id AS community_id, x.floors AS floors
UNION ALL
MATCH (x:Enterprise)-[:LOCATED_IN]->(place)-[:LOCATED_IN]->(m:Community)
RETURN 'enterprise' AS counted, x.id AS id, min(m.id) AS community_id, 0 AS floors
