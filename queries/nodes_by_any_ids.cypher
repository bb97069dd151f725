// The nodes $ids, of any labels, each whole as `node`: what a walk or a path returns on Neo4j
// (queries/answers.nodes_of_labels), where the graph-wide index on :Entity(id) finds every id in one round trip
// instead of one query per label (nodes_by_ids). LadybugDB has no such index (and cannot join nodes of several
// tables in one column): this form looks each id up in every node table, fine for the differential test but not
// at scale, where the walks there ask nodes_by_ids per label (queries/specs.py: served on Neo4j only).
UNWIND $ids AS wanted
MATCH (n {id: wanted})
RETURN n AS node
ORDER BY node.id
