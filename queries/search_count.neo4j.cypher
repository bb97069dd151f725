MATCH (n:Entity)
WHERE n.name CONTAINS $q
WITH n, [l IN labels(n) WHERE l <> 'Entity'][0] AS label
WHERE label IN $labels
RETURN count(n) AS total
