MATCH (c)-[r:CLAIMED]->(p:Project {id: $id})
RETURN c.id AS id, c.name AS name, [l IN labels(c) WHERE l <> 'Entity'][0] AS label, r.since AS since
ORDER BY id
