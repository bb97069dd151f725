// Organizational and work coverage of 两新 enterprises, per community, at $as_of. An enterprise is
// located in a building or business area, which is located in a community; an enterprise with
// places in several communities counts once, in the first community by id.
MATCH (x:Enterprise)-[:LOCATED_IN]->(place)-[:LOCATED_IN]->(m0:Community)
WITH x, min(m0.id) AS cid
// Each enterprise once, with its valid COVERS in one pass (twice as fast as an EXISTS per enterprise
// and mode on both engines at scale 100); then the counts per community.
OPTIONAL MATCH (o:PartyOrg)-[c:COVERS]->(x)
WHERE (o.founded IS NULL OR o.founded <= $as_of) AND (o.dissolved IS NULL OR o.dissolved > $as_of)
  AND (c.since IS NULL OR c.since <= $as_of) AND (c.until IS NULL OR c.until > $as_of)
WITH cid, x, max(CASE WHEN c.mode = 'organizational' THEN 1 ELSE 0 END) AS organizational, count(c) AS covers
WITH cid, count(x) AS total, sum(organizational) AS organizational_covered,
     sum(CASE WHEN covers > 0 THEN 1 ELSE 0 END) AS work_covered
MATCH (m:Community {id: cid})-[:PART_OF]->(s:Subdistrict)-[:PART_OF]->(d:District)
RETURN d.id AS district_id, d.name AS district_name, s.id AS subdistrict_id, s.name AS subdistrict_name,
       m.id AS community_id, m.name AS community_name, total, organizational_covered, work_covered
ORDER BY community_id
