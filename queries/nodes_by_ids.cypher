// The nodes $ids (all of label __LABEL__) as columns: id, label and every stored property (n.__PROPERTIES__ lists
// them: n.id AS id, 'Member' AS label, n.name AS name, …; a property the node lacks is null): what a walk or a path
// returns (queries/answers.nodes_by_id). The walk moves over ids only, so properties are read for the nodes it
// keeps, not for every neighbor of a busy node (6,000 members of a branch at scale 100). Columns, not the node:
// LadybugDB builds a node value (every table's properties, most of them null) several times slower.
UNWIND $ids AS wanted
MATCH (n:__LABEL__ {id: wanted})
RETURN n.__PROPERTIES__
ORDER BY id
