// The links that cross an organization tree, for the organizations $ids: the commercial buildings and
// business areas they cover (joint committees covering several towers) and the hometown groups they
// serve (mobile branches). The hierarchy view draws these over the REPORTS_TO tree.
UNWIND $ids AS i
MATCH (o:PartyOrg {id: i})-[c:COVERS]->(x)
WHERE label(x) = 'Building' OR label(x) = 'BusinessArea'
RETURN o.id AS source, x.id AS target, 'COVERS' AS type, x AS node
UNION ALL
UNWIND $ids AS i
MATCH (o:PartyOrg {id: i})-[:SERVES]->(x)
WHERE label(x) = 'HometownGroup'
RETURN o.id AS source, x.id AS target, 'SERVES' AS type, x AS node
