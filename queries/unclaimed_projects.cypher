// Party-building projects launched by $as_of that nobody (org, member or enterprise) has claimed by then.
MATCH (p:Project)-[:LOCATED_IN]->(m:Community)-[:PART_OF]->(s:Subdistrict)
WHERE (p.launched IS NULL OR p.launched <= $as_of)
  AND NOT EXISTS {
    MATCH (claimant)-[c:CLAIMED]->(p)
    WHERE (c.since IS NULL OR c.since <= $as_of) AND (c.until IS NULL OR c.until > $as_of)
  }
RETURN p.id AS id, p.name AS name, p.category AS category, p.launched AS launched, p.status AS status,
       m.id AS community_id, m.name AS community_name, s.id AS subdistrict_id, s.name AS subdistrict_name,
       'claimant' AS missing
ORDER BY id
