MATCH (x:Entity)-[:LOCATED_IN]->(m:Community {id: $community})
WHERE x:Compound OR (x:Building AND x.floors >= $min_floors)
OPTIONAL MATCH (o:PartyOrg)-[c:COVERS]->(x)
WHERE (o.founded IS NULL OR o.founded <= $as_of) AND (o.dissolved IS NULL OR o.dissolved > $as_of)
  AND (c.since IS NULL OR c.since <= $as_of) AND (c.until IS NULL OR c.until > $as_of)
RETURN x AS place, o AS org, c.mode AS mode
