// 两新 enterprises without coverage at $as_of ($mode as for compounds), with the community
// party committee of the community they are located in.
MATCH (x:Enterprise)-[:LOCATED_IN]->(place)-[:LOCATED_IN]->(m0:Community)
WITH x, min(m0.id) AS community_id
MATCH (m:Community)-[:PART_OF]->(s:Subdistrict)
WHERE m.id = community_id AND ($subdistrict = '' OR s.id = $subdistrict) AND ($community = '' OR m.id = $community)
WITH s, m, x,
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
WHERE NOT work OR ($mode = 'organizational' AND NOT organizational)
OPTIONAL MATCH (r:PartyOrg)-[:COVERS]->(m)
WHERE r.level = '社区党委'
RETURN x.id AS id, x.name AS name, x.industry AS industry, m.id AS community_id, m.name AS community_name,
       s.id AS subdistrict_id, s.name AS subdistrict_name,
       CASE WHEN work THEN 'organizational' ELSE 'organizational+work' END AS missing,
       r.id AS responsible_id, r.name AS responsible_name
ORDER BY id
