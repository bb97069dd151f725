// Every community with its subdistrict and district: one row per subdistrict a community is part of (a community
// that moved has two), as the coverage queries give them.
MATCH (m:Community)-[:PART_OF]->(s:Subdistrict)-[:PART_OF]->(d:District)
RETURN d.id AS district_id, d.name AS district_name, s.id AS subdistrict_id, s.name AS subdistrict_name,
       m.id AS community_id, m.name AS community_name
ORDER BY community_id, subdistrict_id
