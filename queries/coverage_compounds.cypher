// Organizational and work coverage of residential compounds, per community, at $as_of.
// A COVERS counts when its org exists at $as_of (founded <= as_of < dissolved) and the
// relationship itself is valid then (since <= as_of < until); missing dates mean "always".
MATCH (x:Compound)-[:LOCATED_IN]->(m:Community)-[:PART_OF]->(s:Subdistrict)-[:PART_OF]->(d:District)
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
