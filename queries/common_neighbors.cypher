// What links two entities: the nodes directly connected to both.
MATCH (a {id: $source})--(x)--(b {id: $target})
WHERE x.id <> a.id AND x.id <> b.id
RETURN DISTINCT x AS node
ORDER BY node.id
