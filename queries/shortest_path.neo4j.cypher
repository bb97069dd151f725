MATCH (a:Entity {id: $source}), (b:Entity {id: $target})
MATCH p = shortestPath((a)-[*..10]-(b))
// The length test comes after the search: in the same WHERE, Neo4j cannot check it during the
// breadth-first search and falls back to enumerating every path up to 10 steps (minutes at scale 1)
// whenever the shortest path is longer than $max_length. The answer is the same.
WITH p WHERE length(p) <= $max_length
RETURN nodes(p) AS nodes, length(p) AS length
