// A neighborhood of depth 1 in one query (queries/answers.neighbors on Neo4j, where each query is a round trip):
// the node $id (of label __LABEL__), the $k of least id among the nodes linked to it (of one of $labels; null: any
// label), each with its properties and every relationship between the two (one row per relationship), and
// `total`, how many such nodes there are in all. No row when there are none. On LadybugDB this form reads the
// node's relationships three times (the walk there asks neighbors_degree, path_step or neighbors_least instead).
// Rows: the node's outgoing relationships by target and type, then its incoming ones by source and type.
MATCH (a:__LABEL__ {id: $id})
OPTIONAL MATCH (a)-[]-(b)
WITH DISTINCT b.id AS far, label(b) AS far_label
WHERE far IS NOT NULL AND far <> $id AND ($labels IS NULL OR far_label IN $labels)
WITH collect(far) AS fars, count(far) AS total
UNWIND fars AS far
WITH far, total ORDER BY far LIMIT $k
WITH collect(far) AS kept, total
MATCH (a:__LABEL__ {id: $id})
OPTIONAL MATCH (a)-[r]->(b)
WITH a, r, b, total, kept WHERE b.id IN kept
RETURN b AS node, a.id AS source, b.id AS target, label(r) AS type, total
ORDER BY target, type
UNION ALL
MATCH (a:__LABEL__ {id: $id})
OPTIONAL MATCH (a)-[]-(b)
WITH DISTINCT b.id AS far, label(b) AS far_label
WHERE far IS NOT NULL AND far <> $id AND ($labels IS NULL OR far_label IN $labels)
WITH collect(far) AS fars, count(far) AS total
UNWIND fars AS far
WITH far, total ORDER BY far LIMIT $k
WITH collect(far) AS kept, total
MATCH (a:__LABEL__ {id: $id})
OPTIONAL MATCH (a)<-[r]-(b)
WITH a, r, b, total, kept WHERE b.id IN kept
RETURN b AS node, b.id AS source, a.id AS target, label(r) AS type, total
ORDER BY source, type
