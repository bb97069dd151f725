// The relationships from the nodes $ids (all of label __LABEL__) to nodes of $kept, as source, target and type:
// the edges among the nodes a neighborhood walk keeps (queries/answers.neighbors), asked for from the side of
// their source, so that none is read from a busy node's side (the 6,000 MEMBER_OF of
// a branch at scale 100). The test on `b` comes after the match: inside it LadybugDB joins the whole relationship
// table (10 s for a hometown group at scale 100).
UNWIND $ids AS id
MATCH (a:__LABEL__ {id: id})
OPTIONAL MATCH (a)-[r]->(b)
WITH a, r, b WHERE b.id IN $kept
RETURN a.id AS source, b.id AS target, label(r) AS type
