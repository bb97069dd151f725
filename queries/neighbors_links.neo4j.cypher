UNWIND $ids AS id
MATCH (a:__LABEL__ {id: id})
OPTIONAL MATCH (a)-[r]->(b)
WITH a, r, b WHERE b.id IN $kept
RETURN a.id AS source, b.id AS target, type(r) AS type
