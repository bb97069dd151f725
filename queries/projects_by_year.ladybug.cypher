MATCH (p:Project)-[:LOCATED_IN]->(m:Community)
WHERE p.launched IS NOT NULL AND p.launched <= $as_of
RETURN date_part('year', p.launched) AS year, m.id AS community_id, m.name AS community_name, count(p) AS projects,
       sum(CASE WHEN EXISTS { MATCH ()-[:CLAIMED]->(p) } THEN 1 ELSE 0 END) AS claimed
ORDER BY year, community_id
