// Mobile party branches (流动党支部) at $as_of with the hometown group each serves, where it lives,
// and how many mobile members the branch has.
MATCH (o:PartyOrg)-[:SERVES]->(g:HometownGroup)-[:LOCATED_IN]->(m:Community)-[:PART_OF]->(s:Subdistrict)
WHERE o.level = '流动党支部'
  AND (o.founded IS NULL OR o.founded <= $as_of) AND (o.dissolved IS NULL OR o.dissolved > $as_of)
OPTIONAL MATCH (p:Member)-[:MEMBER_OF]->(o)
WHERE p.mobile = true AND p.joined <= $as_of
RETURN o.id AS id, o.name AS name, o.founded AS founded, g.id AS group_id, g.origin AS origin,
       m.id AS community_id, m.name AS community_name, s.id AS subdistrict_id, s.name AS subdistrict_name,
       count(DISTINCT p) AS mobile_members
ORDER BY founded, id
