UNWIND $ids AS i
MATCH (o:PartyOrg {id: i})-[c:COVERS]->(x)
WHERE x:Building OR x:BusinessArea
RETURN o.id AS source, x.id AS target, 'COVERS' AS type, x AS node
UNION ALL
UNWIND $ids AS i
MATCH (o:PartyOrg {id: i})-[:SERVES]->(x:HometownGroup)
RETURN o.id AS source, x.id AS target, 'SERVES' AS type, x AS node
