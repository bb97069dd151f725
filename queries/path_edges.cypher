// The relationships between consecutive nodes of a path, given as [{source, target}] id pairs,
// each returned in its own direction, so that a path can be drawn with its relationship types.
UNWIND $pairs AS pair
MATCH (a {id: pair.source})-[r]->(b {id: pair.target})
RETURN a.id AS source, b.id AS target, label(r) AS type
UNION
UNWIND $pairs AS pair
MATCH (a {id: pair.source})<-[r]-(b {id: pair.target})
RETURN b.id AS source, a.id AS target, label(r) AS type
