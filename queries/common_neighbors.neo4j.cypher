MATCH (a:Entity {id: $source})--(x)--(b:Entity {id: $target})
WHERE x.id <> a.id AND x.id <> b.id
RETURN DISTINCT x AS node
ORDER BY node.id
