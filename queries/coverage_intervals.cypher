// Every COVERS with the dates that bound when it counts: its own since/until and its organization's
// founded/dissolved (a coverage query counts it at $as_of when since <= as_of < until and founded <= as_of <
// dissolved; a missing date is no bound). `dated` is false when a bound is not a date (Neo4j may hold one
// written by hand): the coverage queries never count such a COVERS. With coverage_units, what
// queries/coverage_intervals.py computes coverage from at any date.
MATCH (o:PartyOrg)-[c:COVERS]->(x)
RETURN x.id AS id, c.mode AS mode, c.since AS since, c.until AS until, o.founded AS founded, o.dissolved AS dissolved,
       true AS dated
