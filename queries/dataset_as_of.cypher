// The as-of date of the loaded data: the latest as_of of the loaded bundles.
MATCH (d:Dataset)
RETURN max(d.as_of) AS as_of, count(d) AS datasets
