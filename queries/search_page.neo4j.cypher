// Neo4j: the page and the number of all matches in one round trip; the matches are sorted and collected once.
// A two-character Chinese term ($phrase, queries/search.py) is looked up in the full-text index of character pairs
// (graph.schema.NAME_BIGRAM_INDEX) and kept where the name contains it (such a term is never looked for among the
// initials); any other term in each searchable label's TEXT indexes of names and initials (search_by_name.neo4j.cypher). When $phrase is set the second branch is never run (its filter is
// false before any index is read). Rows as search_page.cypher's; a test checks the branches match the labels.
CALL () {
  WITH $phrase AS phrase WHERE phrase IS NOT NULL
  CALL db.index.fulltext.queryNodes('name_bigrams', phrase) YIELD node AS n
  WITH n WHERE n.name CONTAINS $q
  RETURN n, [l IN labels(n) WHERE l IN $labels][0] AS label
  UNION ALL
  WITH $phrase AS phrase WHERE phrase IS NULL
  CALL () {
    MATCH (n:District) WHERE n.name CONTAINS $q OR n.name_initials CONTAINS $initials RETURN n, 'District' AS label
    UNION ALL
    MATCH (n:Subdistrict) WHERE n.name CONTAINS $q OR n.name_initials CONTAINS $initials RETURN n, 'Subdistrict' AS label
    UNION ALL
    MATCH (n:Community) WHERE n.name CONTAINS $q OR n.name_initials CONTAINS $initials RETURN n, 'Community' AS label
    UNION ALL
    MATCH (n:Compound) WHERE n.name CONTAINS $q OR n.name_initials CONTAINS $initials RETURN n, 'Compound' AS label
    UNION ALL
    MATCH (n:Building) WHERE n.name CONTAINS $q OR n.name_initials CONTAINS $initials RETURN n, 'Building' AS label
    UNION ALL
    MATCH (n:BusinessArea) WHERE n.name CONTAINS $q OR n.name_initials CONTAINS $initials RETURN n, 'BusinessArea' AS label
    UNION ALL
    MATCH (n:Enterprise) WHERE n.name CONTAINS $q OR n.name_initials CONTAINS $initials RETURN n, 'Enterprise' AS label
    UNION ALL
    MATCH (n:PartyOrg) WHERE n.name CONTAINS $q OR n.name_initials CONTAINS $initials RETURN n, 'PartyOrg' AS label
    UNION ALL
    MATCH (n:HometownGroup) WHERE n.name CONTAINS $q OR n.name_initials CONTAINS $initials RETURN n, 'HometownGroup' AS label
    UNION ALL
    MATCH (n:Project) WHERE n.name CONTAINS $q OR n.name_initials CONTAINS $initials RETURN n, 'Project' AS label
    UNION ALL
    MATCH (n:ServiceCenter) WHERE n.name CONTAINS $q OR n.name_initials CONTAINS $initials RETURN n, 'ServiceCenter' AS label
    UNION ALL
    MATCH (n:CompoundBody) WHERE n.name CONTAINS $q OR n.name_initials CONTAINS $initials RETURN n, 'CompoundBody' AS label
    UNION ALL
    MATCH (n:Fact) WHERE n.name CONTAINS $q OR n.name_initials CONTAINS $initials RETURN n, 'Fact' AS label
  }
  RETURN n, label
}
WITH n, label WHERE label IN $labels
WITH n, label ORDER BY size(n.name), n.id
WITH collect([n, label]) AS found
RETURN [f IN found[$offset..$offset + $limit] | {id: f[0].id, name: f[0].name, label: f[1], total: size(found)}] AS __rows__
