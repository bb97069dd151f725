// title_en: Node counts of one label by community
// title_zh: 按社区统计某类实体数量
// description: How many compounds are located in each community of a subdistrict.
MATCH (c:Compound)-[:LOCATED_IN]->(m:Community)-[:PART_OF]->(s:Subdistrict {id: $subdistrict})
RETURN m.id AS community_id, m.name AS community_name, count(c) AS compounds
ORDER BY community_id
