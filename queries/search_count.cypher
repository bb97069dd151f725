// How many entities of the labels in $labels have a name containing $q or initials containing $initials (for
// paging search results).
// The MATCH names every searchable label, as in search_by_name.cypher.
MATCH (n:District:Subdistrict:Community:Compound:Building:BusinessArea:Enterprise:PartyOrg:HometownGroup:Project:ServiceCenter:CompoundBody:Fact)
WHERE (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) AND label(n) IN $labels
RETURN count(n) AS total
