// One step of a neighborhood walk with its limit in the query (queries/answers.neighbors): the far ends of the
// relationships of $ids (all of label __LABEL__), in either direction, not in $seen and of one of $labels (null:
// any label), as `far`: the $k of least id, in id order, each with `total`, how many distinct far ends there are
// in all. No row when there are none. A busy node's other neighbors are counted, never returned (a branch of 6,000
// members at scale 100). `UNWIND … MATCH (a {id: id}) OPTIONAL MATCH` is the form LadybugDB answers from the
// primary key (see path_step); testing `$labels IS NULL` first spares both engines reading every far end's label.
UNWIND $ids AS id
MATCH (a:__LABEL__ {id: id})
OPTIONAL MATCH (a)-[]-(b)
WITH DISTINCT b.id AS far, label(b) AS far_label
WHERE far IS NOT NULL AND NOT far IN $seen AND ($labels IS NULL OR far_label IN $labels)
WITH collect(far) AS fars, count(far) AS total
UNWIND fars AS far
RETURN far, total
ORDER BY far
LIMIT $k
