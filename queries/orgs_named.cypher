// Party organizations whose name contains $q, with level, formation and founding date.
MATCH (o:PartyOrg)
WHERE o.name CONTAINS $q
RETURN o.id AS id, o.name AS name, o.level AS level, o.formation AS formation, o.founded AS founded
ORDER BY founded, id
