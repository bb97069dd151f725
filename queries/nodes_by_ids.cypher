// The nodes $ids (all of label __LABEL__) with their properties: what a neighborhood walk returns
// (queries/answers.neighbors). The walk moves over ids only (path_step), so properties are read for the
// nodes it keeps, not for every neighbor of a busy node (6,000 members of a branch at scale 100).
UNWIND $ids AS id
MATCH (n:__LABEL__ {id: id})
RETURN n AS node
ORDER BY node.id
