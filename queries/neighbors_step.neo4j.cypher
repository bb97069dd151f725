MATCH (a:__LABEL__)-[r]->(b)
WHERE a.id IN $ids
RETURN a.id AS source, b.id AS target, type(r) AS type, b AS node
UNION ALL
MATCH (a:__LABEL__)<-[r]-(b)
WHERE a.id IN $ids
RETURN b.id AS source, a.id AS target, type(r) AS type, b AS node
