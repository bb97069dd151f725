UNWIND $ids AS i
MATCH (a:__LABEL__ {id: i})-[r]->(b)
RETURN a.id AS source, b.id AS target, type(r) AS type, b AS node
UNION ALL
UNWIND $ids AS i
MATCH (a:__LABEL__ {id: i})<-[r]-(b)
RETURN b.id AS source, a.id AS target, type(r) AS type, b AS node
