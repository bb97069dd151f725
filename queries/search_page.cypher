// One page of a name search (the rows of search_by_name), each row with the number of all matches (`total`).
// Past the last match there is no row, and so no total: ask search_count then. Served on Neo4j (one round trip
// instead of two); on LadybugDB the two queries are faster than this one (queries/search.py).
MATCH (n:District:Subdistrict:Community:Compound:Building:BusinessArea:Enterprise:PartyOrg:HometownGroup:Project:ServiceCenter:CompoundBody:Fact)
WHERE (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) AND label(n) IN $labels
WITH count(n) AS total
MATCH (n:District:Subdistrict:Community:Compound:Building:BusinessArea:Enterprise:PartyOrg:HometownGroup:Project:ServiceCenter:CompoundBody:Fact)
WHERE (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) AND label(n) IN $labels
// The page as search_by_name takes it, for LadybugDB's sake (see there).
WITH n, total ORDER BY size(n.name), n.id LIMIT $upto
RETURN n.id AS id, n.name AS name, label(n) AS label, total
ORDER BY size(name), id
SKIP $offset
