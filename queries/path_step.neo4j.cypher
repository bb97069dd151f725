// The rows collected into one record (__rows__, queries/catalog.py): the driver unpacks one list natively, where
// each record costs tens of microseconds of Python (a community's 1,400 relationships: 12 ms instead of 45).
CALL () {
  UNWIND $ids AS id
  MATCH (a:__LABEL__ {id: id})
  OPTIONAL MATCH (a)-[r]->(b)
  RETURN a.id AS source, b.id AS target, type(r) AS type
  UNION ALL
  UNWIND $ids AS id
  MATCH (a:__LABEL__ {id: id})
  OPTIONAL MATCH (a)<-[r]-(b)
  RETURN b.id AS source, a.id AS target, type(r) AS type
}
RETURN collect({source: source, target: target, type: type}) AS __rows__
