// The stored coverage roll-up of $counted (compound, building or enterprise) at $as_of, per community
// (written at load time by queries/rollup.py): the same rows as coverage_compounds, coverage_buildings or
// coverage_enterprises, read from a few hundred nodes instead of every compound, building or enterprise and
// its COVERS. Buildings are stored per number of floors, the others with floors 0. The marker of a finished
// roll-up (community_id '') joins no community.
MATCH (r:CoverageRollup)
WHERE r.target = $counted AND r.as_of = $as_of AND r.floors >= $min_floors AND r.community_id <> ''
WITH r.community_id AS cid, sum(r.total) AS total, sum(r.organizational_covered) AS organizational_covered,
     sum(r.work_covered) AS work_covered
MATCH (m:Community {id: cid})-[:PART_OF]->(s:Subdistrict)-[:PART_OF]->(d:District)
RETURN d.id AS district_id, d.name AS district_name, s.id AS subdistrict_id, s.name AS subdistrict_name,
       m.id AS community_id, m.name AS community_name, total, organizational_covered, work_covered
ORDER BY community_id
