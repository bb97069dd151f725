// The chain of an organization up to the district committee: the org itself (distance 0), its
// parent (1), and so on. REPORTS_TO is a tree, so there is one chain.
MATCH (o:PartyOrg {id: $id})
MATCH p = (o)-[:REPORTS_TO*0..12]->(a:PartyOrg)
RETURN a.id AS id, a.name AS name, a.level AS level, length(p) AS distance
ORDER BY distance
