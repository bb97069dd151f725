// The rows collected into one record (__rows__, queries/catalog.py), each node a map with the keys of the
// common query's columns (n.__PROPERTY_MAP__): 500 nodes cross Bolt several times faster as one list.
UNWIND $ids AS wanted
MATCH (n:__LABEL__ {id: wanted})
WITH n
ORDER BY n.id
RETURN collect(n.__PROPERTY_MAP__) AS __rows__
