// Community party committees (社区党委) with fewer than $ratio reserve cadres (后备干部) per
// secretary at $as_of; the district requires at least 1:2.
MATCH (o:PartyOrg)
WHERE o.level = '社区党委'
  AND (o.founded IS NULL OR o.founded <= $as_of) AND (o.dissolved IS NULL OR o.dissolved > $as_of)
OPTIONAL MATCH (sec:Member)-[ms:MEMBER_OF]->(o)
WHERE ms.role = 'secretary' AND (ms.since IS NULL OR ms.since <= $as_of) AND (ms.until IS NULL OR ms.until > $as_of)
WITH o, count(DISTINCT sec) AS secretaries
OPTIONAL MATCH (res:Member)-[rf:RESERVE_FOR]->(o)
WHERE (rf.since IS NULL OR rf.since <= $as_of) AND (rf.until IS NULL OR rf.until > $as_of)
WITH o, secretaries, count(DISTINCT res) AS reserves
WHERE reserves < $ratio * secretaries OR secretaries = 0
RETURN o.id AS id, o.name AS name, secretaries, reserves,
       CASE WHEN secretaries = 0 THEN 'secretary' ELSE 'reserve cadres' END AS missing
ORDER BY id
