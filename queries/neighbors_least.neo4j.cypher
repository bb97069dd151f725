UNWIND $ids AS id
MATCH (a:__LABEL__ {id: id})
OPTIONAL MATCH (a)--(b)
WITH DISTINCT b
WHERE b IS NOT NULL AND NOT b.id IN $seen AND ($labels IS NULL OR any(l IN labels(b) WHERE l IN $labels))
WITH collect(b.id) AS fars, count(b) AS total
UNWIND fars AS far
RETURN far, total
ORDER BY far
LIMIT $k
