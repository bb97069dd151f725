// Party-mass service centers open at $as_of per level, and how many are certified (达标).
MATCH (c:ServiceCenter)
WHERE c.opened IS NULL OR c.opened <= $as_of
RETURN c.level AS level, count(c) AS centers, sum(CASE WHEN c.certified THEN 1 ELSE 0 END) AS certified
ORDER BY level
