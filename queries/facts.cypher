// Every published fact (Fact node), once per entity it describes (about is null when none).
// One row per pair, not collect(): collect() order differs between the engines.
MATCH (f:Fact)
OPTIONAL MATCH (f)-[:DESCRIBES]->(x)
RETURN f AS fact, x.id AS about
ORDER BY fact.id, about
