// The rows collected into one record (queries/catalog.py, COLLECTED_ROWS): ~140,000 at scale 100, which the
// driver would otherwise unpack one Python record at a time.
CALL () {
  MATCH (x:Compound)-[:LOCATED_IN]->(m:Community)
  RETURN 'compound' AS counted, x.id AS id, m.id AS community_id, 0 AS floors
  UNION ALL
  MATCH (x:Building)-[:LOCATED_IN]->(m:Community)
  WHERE x.floors IS NOT NULL
  RETURN 'building' AS counted, x.id AS id, m.id AS community_id, x.floors AS floors
  UNION ALL
  MATCH (x:Enterprise)-[:LOCATED_IN]->(place)-[:LOCATED_IN]->(m:Community)
  RETURN 'enterprise' AS counted, x.id AS id, min(m.id) AS community_id, 0 AS floors
}
RETURN collect({counted: counted, id: id, community_id: community_id, floors: floors}) AS __rows__
