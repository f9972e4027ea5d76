; kind: syntax
; description: cut the file before a statement inside a function body (a truncated download)
(function_definition body: (compound_statement (_) @truncate (#not-type? @truncate comment)))
