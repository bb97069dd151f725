// Neo4j: one branch per searchable label (graph.schema.SEARCHABLE_LABELS), so that each `name CONTAINS $q`
// and `name_initials CONTAINS $initials` are answered by that label's TEXT indexes instead of a scan of every
// :Entity (about 1 s at scale 100).
// Same rows as search_count.cypher; a test checks that the branches match the searchable labels.
CALL () {
  MATCH (n:District) WHERE 'District' IN $labels AND (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) RETURN n, 'District' AS label
  UNION ALL
  MATCH (n:Subdistrict) WHERE 'Subdistrict' IN $labels AND (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) RETURN n, 'Subdistrict' AS label
  UNION ALL
  MATCH (n:Community) WHERE 'Community' IN $labels AND (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) RETURN n, 'Community' AS label
  UNION ALL
  MATCH (n:Compound) WHERE 'Compound' IN $labels AND (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) RETURN n, 'Compound' AS label
  UNION ALL
  MATCH (n:Building) WHERE 'Building' IN $labels AND (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) RETURN n, 'Building' AS label
  UNION ALL
  MATCH (n:BusinessArea) WHERE 'BusinessArea' IN $labels AND (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) RETURN n, 'BusinessArea' AS label
  UNION ALL
  MATCH (n:Enterprise) WHERE 'Enterprise' IN $labels AND (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) RETURN n, 'Enterprise' AS label
  UNION ALL
  MATCH (n:PartyOrg) WHERE 'PartyOrg' IN $labels AND (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) RETURN n, 'PartyOrg' AS label
  UNION ALL
  MATCH (n:HometownGroup) WHERE 'HometownGroup' IN $labels AND (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) RETURN n, 'HometownGroup' AS label
  UNION ALL
  MATCH (n:Project) WHERE 'Project' IN $labels AND (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) RETURN n, 'Project' AS label
  UNION ALL
  MATCH (n:ServiceCenter) WHERE 'ServiceCenter' IN $labels AND (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) RETURN n, 'ServiceCenter' AS label
  UNION ALL
  MATCH (n:CompoundBody) WHERE 'CompoundBody' IN $labels AND (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) RETURN n, 'CompoundBody' AS label
  UNION ALL
  MATCH (n:Fact) WHERE 'Fact' IN $labels AND (n.name CONTAINS $q OR n.name_initials CONTAINS $initials) RETURN n, 'Fact' AS label
}
RETURN count(n) AS total
