// The rows collected into one record (__rows__, queries/catalog.py), in the order of the common query; each node
// as a map of its properties and label, which the driver unpacks natively (a node object costs it ~40 µs in Python).
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
WITH b AS node, startNode(r).id AS source, endNode(r).id AS target, type(r) AS type, total, a.id AS center
ORDER BY CASE WHEN source = center THEN 0 ELSE 1 END, node.id, type
RETURN collect({node: node {.*, label: [l IN labels(node) WHERE l <> 'Entity'][0]}, source: source, target: target, type: type,
                total: total}) AS __rows__
