// path_step for ids of any labels: every relationship of the nodes $ids, in both directions, as source, target and
// type. What a neighborhood walk's step runs on Neo4j (queries/answers.neighbors), where the graph-wide index on
// :Entity(id) finds every id in one round trip instead of one query per label. LadybugDB has no such index: this
// form looks each id up in every node table, and the walks there ask path_step per label instead.
UNWIND $ids AS id
MATCH (a {id: id})
OPTIONAL MATCH (a)-[r]->(b)
RETURN a.id AS source, b.id AS target, label(r) AS type
UNION ALL
UNWIND $ids AS id
MATCH (a {id: id})
OPTIONAL MATCH (a)<-[r]-(b)
RETURN b.id AS source, a.id AS target, label(r) AS type
