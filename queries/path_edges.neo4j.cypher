UNWIND $pairs AS pair
MATCH (a:Entity {id: pair.source})-[r]-(b:Entity {id: pair.target})
RETURN DISTINCT a.id AS source, b.id AS target, type(r) AS type
