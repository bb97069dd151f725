MATCH (a:__LABEL__ {id: $id})
OPTIONAL MATCH (a)--(b)
WITH DISTINCT a, b
WHERE b IS NOT NULL AND b <> a AND ($labels IS NULL OR any(l IN labels(b) WHERE l IN $labels))
WITH a, collect(b) AS fars
UNWIND fars AS b
WITH a, b, size(fars) AS total
ORDER BY b.id
LIMIT $k
MATCH (a)-[r]-(b)
RETURN b AS node, startNode(r).id AS source, endNode(r).id AS target, type(r) AS type, total
ORDER BY CASE WHEN source = a.id THEN 0 ELSE 1 END, node.id, type
