// How many relationships the nodes $ids (all of label __LABEL__) have, in both directions: a neighborhood walk
// (queries/answers.neighbors) reads every relationship of a step's nodes (path_step) when they are few, and asks
// a hub (a branch of 6,000 members at scale 100) only for the far ends it keeps (neighbors_least). Counting is
// cheap where reading is not: ~2 ms for that branch on LadybugDB, where reading its relationships takes ~50 ms
// (and a LIMIT on path_step costs several ms even for a compound of 17).
UNWIND $ids AS id
MATCH (a:__LABEL__ {id: id})
OPTIONAL MATCH (a)-[r]-()
RETURN count(r) AS relationships
