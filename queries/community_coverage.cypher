// The compounds and commercial buildings of at least $min_floors floors in community $community, each with
// every party organization covering it at $as_of: one row per valid COVERS, or one row with a NULL org when
// nothing covers the place. The coverage view colors each place organizational, work or uncovered from these.
MATCH (x)-[:LOCATED_IN]->(m:Community {id: $community})
WHERE label(x) = 'Compound' OR (label(x) = 'Building' AND x.floors >= $min_floors)
OPTIONAL MATCH (o:PartyOrg)-[c:COVERS]->(x)
WHERE (o.founded IS NULL OR o.founded <= $as_of) AND (o.dissolved IS NULL OR o.dissolved > $as_of)
  AND (c.since IS NULL OR c.since <= $as_of) AND (c.until IS NULL OR c.until > $as_of)
RETURN x AS place, o AS org, c.mode AS mode
