// A property of a Neo4j node or relationship may hold any type: a bound that is not a DATE (text, a DATETIME,
// written by hand) compares as null in the coverage queries, which then never count that COVERS; it is answered
// as null here, with `dated` false. The rows are collected into one record (queries/catalog.py, COLLECTED_ROWS):
// ~180,000 at scale 100.
MATCH (o:PartyOrg)-[c:COVERS]->(x)
WITH x, c, o, (c.since IS NULL OR c.since IS :: DATE) AND (c.until IS NULL OR c.until IS :: DATE)
     AND (o.founded IS NULL OR o.founded IS :: DATE) AND (o.dissolved IS NULL OR o.dissolved IS :: DATE) AS dated
RETURN collect({id: x.id, mode: c.mode, since: CASE WHEN dated THEN c.since END, until: CASE WHEN dated THEN c.until END,
                founded: CASE WHEN dated THEN o.founded END, dissolved: CASE WHEN dated THEN o.dissolved END,
                dated: dated}) AS __rows__
