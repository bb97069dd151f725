MATCH (n:Entity)
WHERE n.name CONTAINS $q
WITH n, [l IN labels(n) WHERE l <> 'Entity'][0] AS label
WHERE label IN $labels
RETURN n.id AS id, n.name AS name, label
ORDER BY size(n.name), id
SKIP $offset LIMIT $limit
