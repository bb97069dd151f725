// One step of a neighborhood walk: every relationship of the nodes $ids (all of label __LABEL__),
// in both directions, with the node at the other end. The API walks 1-3 steps with it, a label at
// a time, stopping at a node limit.
MATCH (a:__LABEL__)-[r]->(b)
// `a.id IN $ids`, not `UNWIND $ids AS i MATCH (a {id: i})`: LadybugDB plans the latter as a join of
// every relationship of the graph with the ids (seconds a step at scale 100, and more than 2 GB of
// page cache); the former looks the ids up in the primary key (100x faster). Same rows for distinct ids.
WHERE a.id IN $ids
RETURN a.id AS source, b.id AS target, label(r) AS type, b AS node
UNION ALL
MATCH (a:__LABEL__)<-[r]-(b)
WHERE a.id IN $ids
RETURN b.id AS source, a.id AS target, label(r) AS type, b AS node
