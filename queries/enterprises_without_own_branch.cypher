// The 两新 rule: an enterprise where at least $min_members party members work should have its
// own branch (an org that covers it organizationally, formed 单独建) at $as_of.
MATCH (p:Member)-[w:WORKS_AT]->(x:Enterprise)
WHERE (w.since IS NULL OR w.since <= $as_of) AND (w.until IS NULL OR w.until > $as_of) AND p.joined <= $as_of
WITH x, count(DISTINCT p) AS members
WHERE members >= $min_members
  AND NOT EXISTS {
    MATCH (o:PartyOrg)-[c:COVERS]->(x)
    WHERE c.mode = 'organizational' AND c.formation = '单独建'
      AND (o.founded IS NULL OR o.founded <= $as_of) AND (o.dissolved IS NULL OR o.dissolved > $as_of)
      AND (c.since IS NULL OR c.since <= $as_of) AND (c.until IS NULL OR c.until > $as_of)
  }
MATCH (x)-[:LOCATED_IN]->(place)-[:LOCATED_IN]->(m:Community)-[:PART_OF]->(s:Subdistrict)
WITH x, members, min(m.id) AS community_id, min(s.id) AS subdistrict_id
RETURN x.id AS id, x.name AS name, x.industry AS industry, members, community_id, subdistrict_id,
       'own branch (单独建)' AS missing
ORDER BY id
