MATCH (a:__LABEL__ {id: $id})-[r]->(b)
RETURN a.id AS source, b.id AS target, type(r) AS type, b AS node
UNION ALL
MATCH (a:__LABEL__ {id: $id})<-[r]-(b)
RETURN b.id AS source, a.id AS target, type(r) AS type, b AS node
