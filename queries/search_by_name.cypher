// Entities whose name contains $q (a Chinese substring), or whose pinyin initials contain $initials (the Latin
// term lower-cased, else null: queries/search.py), of the labels in $labels.
// The MATCH names every searchable label (graph.schema.SEARCHABLE_LABELS, a test checks), which LadybugDB reads as
// one, so the member table is never read; Neo4j has its own text (search_by_name.neo4j.cypher).
MATCH (n:District:Subdistrict:Community:Compound:Building:BusinessArea:Enterprise:PartyOrg:HometownGroup:Project:ServiceCenter:CompoundBody:Fact)
WHERE (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) AND label(n) IN $labels
RETURN n.id AS id, n.name AS name, label(n) AS label
ORDER BY size(n.name), id
SKIP $offset LIMIT $limit
