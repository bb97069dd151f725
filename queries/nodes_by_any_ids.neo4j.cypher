// The rows collected into one record (__rows__, queries/catalog.py), each node as a map of its properties and
// label: hundreds of nodes cross Bolt several times faster as one list of maps.
UNWIND $ids AS wanted
MATCH (n:Entity {id: wanted})
WITH n
ORDER BY n.id
RETURN collect({node: n {.*, label: [l IN labels(n) WHERE l <> 'Entity'][0]}}) AS __rows__
