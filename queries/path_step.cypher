// One step of the shortest-path search (queries/answers.shortest_path): every relationship of the nodes $ids
// (all of label __LABEL__), in both directions, as source, target and type, without the nodes' properties.
// A node without relationships gives a row of nulls in each branch; an unknown id gives no row.
// `UNWIND $ids … MATCH (a {id: id}) OPTIONAL MATCH (a)-[r]->(b)` is the form LadybugDB answers from the primary
// key at every scale: `a.id IN $ids` (neighbors_step) reads the whole label (0.2 s for one Member id at scale
// 100), a plain MATCH after the UNWIND joins every relationship of the graph (seconds), and returning `b`
// itself costs ten times more than its id.
UNWIND $ids AS id
MATCH (a:__LABEL__ {id: id})
OPTIONAL MATCH (a)-[r]->(b)
RETURN a.id AS source, b.id AS target, label(r) AS type
UNION ALL
UNWIND $ids AS id
MATCH (a:__LABEL__ {id: id})
OPTIONAL MATCH (a)<-[r]-(b)
RETURN b.id AS source, a.id AS target, label(r) AS type
