// Entities whose name contains $q (a Chinese substring), or whose pinyin initials contain $initials (the Latin
// term lower-cased, else null: queries/search.py), of the labels in $labels.
// The MATCH names every searchable label (graph.schema.SEARCHABLE_LABELS, a test checks), which LadybugDB reads as
// one, so the member table is never read; Neo4j has its own text (search_by_name.neo4j.cypher).
MATCH (n:District:Subdistrict:Community:Compound:Building:BusinessArea:Enterprise:PartyOrg:HometownGroup:Project:ServiceCenter:CompoundBody:Fact)
WHERE (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) AND label(n) IN $labels
// The first $upto (= $offset + $limit) in order, then the page of them: LadybugDB 0.22 crashes the process (after a
// few runs) on ORDER BY … SKIP $offset LIMIT $limit with an $offset far past the last row; a LIMIT alone, or a SKIP
// alone, is safe (tests/test_ladybug_skip.py).
WITH n ORDER BY size(n.name), n.id LIMIT $upto
RETURN n.id AS id, n.name AS name, label(n) AS label
ORDER BY size(name), id
SKIP $offset
