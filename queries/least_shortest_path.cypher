// The shortest path between two entities (ignoring direction, at most $max_length steps, at most 10) whose
// sequence of node ids is least: one answer where shortest_path may give any of several. On Neo4j,
// queries/answers.shortest_path runs it (tens of ms at scale 100); on LadybugDB this variable-length match
// takes seconds there, and answers.shortest_path searches step by step (path_step) instead, for the same path.
// The ids are joined with a space, which sorts before every character an id may have (graph.model.Id).
MATCH p = (a {id: $source})-[* ALL SHORTEST 1..10]-(b {id: $target})
WHERE length(p) <= $max_length
RETURN nodes(p) AS nodes, length(p) AS length
ORDER BY list_to_string(' ', properties(nodes(p), 'id'))
LIMIT 1
