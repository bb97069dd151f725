// title_en: Entity by id
// title_zh: 按编号查询实体
// description: Any node of the graph by its graph-wide unique id, with its label and properties.
MATCH (n {id: $id})
RETURN n
