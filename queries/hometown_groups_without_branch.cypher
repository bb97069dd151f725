// Hometown groups (同乡村) that no mobile party branch (流动党支部) serves at $as_of.
MATCH (g:HometownGroup)-[:LOCATED_IN]->(m:Community)-[:PART_OF]->(s:Subdistrict)
WHERE NOT EXISTS {
  MATCH (o:PartyOrg)-[v:SERVES]->(g)
  WHERE o.level = '流动党支部'
    AND (o.founded IS NULL OR o.founded <= $as_of) AND (o.dissolved IS NULL OR o.dissolved > $as_of)
    AND (v.since IS NULL OR v.since <= $as_of) AND (v.until IS NULL OR v.until > $as_of)
}
RETURN g.id AS id, g.name AS name, g.origin AS origin, g.size AS size, m.id AS community_id, m.name AS community_name,
       s.id AS subdistrict_id, s.name AS subdistrict_name, 'mobile branch' AS missing
ORDER BY id
