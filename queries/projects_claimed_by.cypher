// Projects claimed by an organization, member or enterprise.
MATCH (c {id: $id})-[r:CLAIMED]->(p:Project)
RETURN p.id AS id, p.name AS name, p.category AS category, p.launched AS launched, p.status AS status, r.since AS since
ORDER BY id
