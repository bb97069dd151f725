// Communities valid at $as_of that no certified (达标) party-mass service center serves.
MATCH (m:Community)-[:PART_OF]->(s:Subdistrict)
WHERE (m.valid_from IS NULL OR m.valid_from <= $as_of) AND (m.valid_to IS NULL OR m.valid_to > $as_of)
  AND NOT EXISTS {
    MATCH (c:ServiceCenter)-[v:SERVES]->(m)
    WHERE c.certified = true AND (c.opened IS NULL OR c.opened <= $as_of)
      AND (v.since IS NULL OR v.since <= $as_of) AND (v.until IS NULL OR v.until > $as_of)
  }
OPTIONAL MATCH (r:PartyOrg)-[:COVERS]->(m)
WHERE r.level = '社区党委'
RETURN m.id AS id, m.name AS name, s.id AS subdistrict_id, s.name AS subdistrict_name,
       'certified service center' AS missing, r.id AS responsible_id, r.name AS responsible_name
ORDER BY id
