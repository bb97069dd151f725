// Projects claimed by an organization, member or enterprise.
// The claimant is looked up under the label its id names (__LABEL__): from the primary key on LadybugDB,
// which otherwise searches every node table for the id.
MATCH (c:__LABEL__ {id: $id})-[r:CLAIMED]->(p:Project)
RETURN p.id AS id, p.name AS name, p.category AS category, p.launched AS launched, p.status AS status, r.since AS since
ORDER BY id
