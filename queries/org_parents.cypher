// One step up the REPORTS_TO tree: the organizations $id reports to. queries/answers.org_chain walks an
// org's chain with it a step at a time: a one-hop match from an id costs ~0.3 ms on both engines, where
// org_chain's variable-length match makes LadybugDB read the whole REPORTS_TO table (70-100 ms at scale 100).
MATCH (o:PartyOrg {id: $id})-[:REPORTS_TO]->(a:PartyOrg)
RETURN a.id AS id, a.name AS name, a.level AS level
ORDER BY id
