// neighbors_step for a single node $id (of label __LABEL__): every relationship in both directions, with the
// node at the other end. The walk's first step (and any step with one node of a label) uses it: LadybugDB
// answers a match from `{id: $id}` from the primary key, several times faster than `a.id IN $ids`.
MATCH (a:__LABEL__ {id: $id})-[r]->(b)
RETURN a.id AS source, b.id AS target, label(r) AS type, b AS node
UNION ALL
MATCH (a:__LABEL__ {id: $id})<-[r]-(b)
RETURN b.id AS source, a.id AS target, label(r) AS type, b AS node
