MATCH (a:Entity {id: $source}), (b:Entity {id: $target})
MATCH p = shortestPath((a)-[*..10]-(b))
WHERE length(p) <= $max_length
RETURN nodes(p) AS nodes, length(p) AS length
