// Members of a category (e.g. 两新) who joined in [$from, $to], and how many members of that
// category are delegates to the district or city party congress.
MATCH (p:Member)
WHERE p.category = $category
RETURN sum(CASE WHEN p.joined >= $from AND p.joined <= $to THEN 1 ELSE 0 END) AS recruited,
       sum(CASE WHEN p.delegate IS NOT NULL THEN 1 ELSE 0 END) AS delegates,
       count(p) AS members
