// One step of a neighborhood walk: every relationship of the nodes $ids (all of label __LABEL__),
// in both directions, with the node at the other end. The API walks 1-3 steps with it, a label at
// a time, stopping at a node limit.
UNWIND $ids AS i
MATCH (a:__LABEL__ {id: i})-[r]->(b)
RETURN a.id AS source, b.id AS target, label(r) AS type, b AS node
UNION ALL
UNWIND $ids AS i
MATCH (a:__LABEL__ {id: i})<-[r]-(b)
RETURN b.id AS source, a.id AS target, label(r) AS type, b AS node
