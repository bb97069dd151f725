MATCH (a:Entity {id: $source}), (b:Entity {id: $target})
MATCH p = allShortestPaths((a)-[*..10]-(b))
// The length test after the search, as in shortest_path.neo4j.cypher (in the same WHERE Neo4j would enumerate
// every path up to 10 steps when the shortest is longer than $max_length).
WITH p WHERE length(p) <= $max_length
RETURN nodes(p) AS nodes, length(p) AS length
ORDER BY [n IN nodes(p) | n.id]
LIMIT 1
