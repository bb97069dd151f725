// A shortest path between two entities, ignoring direction, of at most $max_length steps (at most 10).
// When several shortest paths exist the engines may pick different ones; their length agrees.
MATCH p = (a {id: $source})-[* SHORTEST 1..10]-(b {id: $target})
WHERE length(p) <= $max_length
RETURN nodes(p) AS nodes, length(p) AS length
