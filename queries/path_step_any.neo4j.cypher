// The rows collected into one record (__rows__, queries/catalog.py), as in path_step.neo4j.cypher.
CALL () {
  UNWIND $ids AS id
  MATCH (a:Entity {id: id})
  OPTIONAL MATCH (a)-[r]->(b)
  RETURN a.id AS source, b.id AS target, type(r) AS type
  UNION ALL
  UNWIND $ids AS id
  MATCH (a:Entity {id: id})
  OPTIONAL MATCH (a)<-[r]-(b)
  RETURN b.id AS source, a.id AS target, type(r) AS type
}
RETURN collect({source: source, target: target, type: type}) AS __rows__
