// What links two entities: the nodes directly connected to both.
// Each end is looked up under its own label (named by its id's form): from the primary key on LadybugDB
// (without a label it searches every node table: 140 ms at scale 100 instead of a few), from the label's
// unique index on Neo4j.
MATCH (a:__SOURCE_LABEL__ {id: $source})--(x)--(b:__TARGET_LABEL__ {id: $target})
WHERE x.id <> a.id AND x.id <> b.id
RETURN DISTINCT x AS node
ORDER BY node.id
