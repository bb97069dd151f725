// How many entities of the labels in $labels have a name containing $q (for paging search results).
// The MATCH names every searchable label, as in search_by_name.cypher.
MATCH (n:District:Subdistrict:Community:Compound:Building:BusinessArea:Enterprise:PartyOrg:HometownGroup:Project:ServiceCenter:CompoundBody:Fact)
WHERE n.name CONTAINS $q AND label(n) IN $labels
RETURN count(n) AS total
