// Who claimed a project: organizations, members and enterprises, with the date.
MATCH (c)-[r:CLAIMED]->(p:Project {id: $id})
RETURN c.id AS id, c.name AS name, label(c) AS label, r.since AS since
ORDER BY id
