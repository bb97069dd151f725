UNWIND $ids AS id
MATCH (a:__LABEL__ {id: id})
OPTIONAL MATCH (a)-[r]->(b)
RETURN a.id AS source, b.id AS target, type(r) AS type
UNION ALL
UNWIND $ids AS id
MATCH (a:__LABEL__ {id: id})
OPTIONAL MATCH (a)<-[r]-(b)
RETURN b.id AS source, a.id AS target, type(r) AS type
