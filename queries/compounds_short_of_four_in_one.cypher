// Compounds that have started the four-in-one model (四位一体: 居民小组, 业委会, 物业服务企业 led by
// the compound's party branch) but at $as_of lack one of the three bodies or the branch's lead.
MATCH (b:CompoundBody)-[:PART_OF]->(x:Compound)-[:LOCATED_IN]->(m:Community)
WITH DISTINCT x, m
OPTIONAL MATCH (o:PartyOrg)-[l:LEADS]->(led:CompoundBody)-[:PART_OF]->(x)
WHERE (l.since IS NULL OR l.since <= $as_of) AND (l.until IS NULL OR l.until > $as_of)
  AND (o.founded IS NULL OR o.founded <= $as_of) AND (o.dissolved IS NULL OR o.dissolved > $as_of)
WITH x, m, count(DISTINCT led.kind) AS led_kinds
WHERE led_kinds < 3
RETURN x.id AS id, x.name AS name, m.id AS community_id, m.name AS community_name, led_kinds,
       'four-in-one bodies led by the branch' AS missing
ORDER BY id
