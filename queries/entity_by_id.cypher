// Any node of the graph by its graph-wide unique id. The caller fills __LABEL__ with the label the
// id's form names (graph.model.label_for_id), so the lookup uses that label's primary key.
MATCH (n:__LABEL__ {id: $id})
RETURN n
