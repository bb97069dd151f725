UNWIND $pairs AS pair
MATCH (a:Entity {id: pair.source})-[r]->(b:Entity {id: pair.target})
RETURN a.id AS source, b.id AS target, type(r) AS type
UNION
UNWIND $pairs AS pair
MATCH (a:Entity {id: pair.source})<-[r]-(b:Entity {id: pair.target})
RETURN b.id AS source, a.id AS target, type(r) AS type
