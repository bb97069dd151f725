// Entities whose name contains $q (a Chinese substring), of the labels in $labels.
MATCH (n)
WHERE n.name CONTAINS $q AND label(n) IN $labels
RETURN n.id AS id, n.name AS name, label(n) AS label
ORDER BY size(n.name), id
SKIP $offset LIMIT $limit
