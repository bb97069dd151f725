// Organizational and work coverage of 两新 enterprises, per community, at $as_of. An enterprise is
// located in a building or business area, which is located in a community; an enterprise with
// places in several communities counts once, in the first community by id.
MATCH (x:Enterprise)-[:LOCATED_IN]->(place)-[:LOCATED_IN]->(m0:Community)
WITH x, min(m0.id) AS community_id
MATCH (m:Community {id: community_id})-[:PART_OF]->(s:Subdistrict)-[:PART_OF]->(d:District)
WITH d, s, m, x,
     EXISTS {
       MATCH (o:PartyOrg)-[c:COVERS]->(x)
       WHERE c.mode = 'organizational'
         AND (o.founded IS NULL OR o.founded <= $as_of) AND (o.dissolved IS NULL OR o.dissolved > $as_of)
         AND (c.since IS NULL OR c.since <= $as_of) AND (c.until IS NULL OR c.until > $as_of)
     } AS organizational,
     EXISTS {
       MATCH (o:PartyOrg)-[c:COVERS]->(x)
       WHERE (o.founded IS NULL OR o.founded <= $as_of) AND (o.dissolved IS NULL OR o.dissolved > $as_of)
         AND (c.since IS NULL OR c.since <= $as_of) AND (c.until IS NULL OR c.until > $as_of)
     } AS work
RETURN d.id AS district_id, d.name AS district_name, s.id AS subdistrict_id, s.name AS subdistrict_name,
       m.id AS community_id, m.name AS community_name, count(x) AS total,
       sum(CASE WHEN organizational THEN 1 ELSE 0 END) AS organizational_covered,
       sum(CASE WHEN work THEN 1 ELSE 0 END) AS work_covered
ORDER BY community_id
