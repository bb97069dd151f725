// The rows collected into one record (queries/catalog.py, COLLECTED_ROWS): ~200,000 at scale 100.
MATCH (o:PartyOrg)-[c:COVERS]->(x)
RETURN collect({id: x.id, mode: c.mode, since: c.since, until: c.until, founded: o.founded,
                dissolved: o.dissolved}) AS __rows__
