// How many party organizations of each level exist at $as_of, and the earliest founded.
MATCH (o:PartyOrg)
WHERE (o.founded IS NULL OR o.founded <= $as_of) AND (o.dissolved IS NULL OR o.dissolved > $as_of)
RETURN o.level AS level, count(o) AS orgs, min(o.founded) AS first_founded
ORDER BY level
