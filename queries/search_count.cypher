// How many entities of the labels in $labels have a name containing $q (for paging search results).
MATCH (n)
WHERE n.name CONTAINS $q AND label(n) IN $labels
RETURN count(n) AS total
