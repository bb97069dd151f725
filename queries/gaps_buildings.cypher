// Commercial buildings of at least $min_floors floors without coverage at $as_of: with $mode 'organizational' those no org covers
// organizationally (they may have work coverage), with 'work' those with no coverage at all.
// Each row names the community party committee (社区党委) responsible for closing the gap.
// Empty $subdistrict / $community mean "everywhere".
MATCH (x:Building)-[:LOCATED_IN]->(m:Community)-[:PART_OF]->(s:Subdistrict)
WHERE x.floors >= $min_floors AND ($subdistrict = '' OR s.id = $subdistrict) AND ($community = '' OR m.id = $community)
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
RETURN x.id AS id, x.name AS name, x.floors AS floors, m.id AS community_id, m.name AS community_name,
       s.id AS subdistrict_id, s.name AS subdistrict_name,
       CASE WHEN work THEN 'organizational' ELSE 'organizational+work' END AS missing,
       r.id AS responsible_id, r.name AS responsible_name
ORDER BY id
