// path_step for ids of any labels: every relationship of the nodes $ids, in both directions, as source, target and
// type. What a neighborhood walk's step runs on Neo4j (queries/answers.neighbors), where the graph-wide index on
// :Entity(id) finds every id in one round trip instead of one query per label. LadybugDB has no such index: there
// this text runs once per label of the model (__EVERY_LABEL__, queries/catalog.py), each from that label's primary
// key, and the walks ask path_step per label instead.
UNWIND $ids AS id
MATCH (a:__EVERY_LABEL__ {id: id})
OPTIONAL MATCH (a)-[r]->(b)
RETURN a.id AS source, b.id AS target, label(r) AS type
UNION ALL
UNWIND $ids AS id
MATCH (a:__EVERY_LABEL__ {id: id})
OPTIONAL MATCH (a)<-[r]-(b)
RETURN b.id AS source, a.id AS target, label(r) AS type
