// One step of a neighborhood walk: every relationship of the nodes $ids (all of label __LABEL__),
// in both directions, with the node at the other end. The views and pages walk with it, a label at
// a time, stopping at a node limit.
// `UNWIND … MATCH (a {id: id})` then an OPTIONAL MATCH of the relationships is the form LadybugDB answers
// from the primary key: `a.id IN $ids` reads the whole label (0.7 s for 100 members at scale 100 instead
// of 47 ms), and a plain MATCH of the relationship after the UNWIND joins every relationship of the graph.
UNWIND $ids AS id
MATCH (a:__LABEL__ {id: id})
OPTIONAL MATCH (a)-[r]->(b)
WITH a, r, b WHERE r IS NOT NULL
RETURN a.id AS source, b.id AS target, label(r) AS type, b AS node
UNION ALL
UNWIND $ids AS id
MATCH (a:__LABEL__ {id: id})
OPTIONAL MATCH (a)<-[r]-(b)
WITH a, r, b WHERE r IS NOT NULL
RETURN b.id AS source, a.id AS target, label(r) AS type, b AS node
