// Every node also carries the Entity label on Neo4j, so this lookup uses the entity_id index.
MATCH (n:Entity {id: $id})
RETURN n
