// The organizations below an org, down to $depth levels (at most 12), each with its parent.
MATCH (o:PartyOrg {id: $id})
MATCH p = (c:PartyOrg)-[:REPORTS_TO*1..12]->(o)
WHERE length(p) <= $depth
MATCH (c)-[:REPORTS_TO]->(parent:PartyOrg)
RETURN c.id AS id, c.name AS name, c.level AS level, c.formation AS formation, c.founded AS founded,
       parent.id AS parent_id, length(p) AS depth
ORDER BY depth, id
