// Compounds where the four-in-one model (四位一体) is complete at $as_of: the 居民小组, the
// 业委会 and the 物业服务企业 are all led by a party organization; with the year it was completed.
MATCH (o:PartyOrg)-[l:LEADS]->(b:CompoundBody)-[:PART_OF]->(x:Compound)-[:LOCATED_IN]->(m:Community)
WHERE (l.since IS NULL OR l.since <= $as_of) AND (l.until IS NULL OR l.until > $as_of)
  AND (o.founded IS NULL OR o.founded <= $as_of) AND (o.dissolved IS NULL OR o.dissolved > $as_of)
WITH x, m, count(DISTINCT b.kind) AS kinds, max(l.since) AS completed
WHERE kinds = 3
RETURN x.id AS id, x.name AS name, m.id AS community_id, m.name AS community_name, completed
ORDER BY completed, id
