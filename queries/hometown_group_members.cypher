// Members of a hometown group (同乡村) with the compound they live in and the branch they belong to.
MATCH (p:Member)-[:BELONGS_TO]->(g:HometownGroup {id: $id})
OPTIONAL MATCH (p)-[:LIVES_IN]->(x:Compound)
OPTIONAL MATCH (p)-[:MEMBER_OF]->(o:PartyOrg)
RETURN p.id AS member_id, p.name AS member_name, p.mobile AS mobile, x.id AS compound_id, x.name AS compound_name,
       o.id AS branch_id, o.name AS branch_name
ORDER BY member_id, branch_id
