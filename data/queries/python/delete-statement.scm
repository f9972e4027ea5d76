; kind: content
; description: delete one statement from a block that has at least two
(block (_) @delete.line . (_) (#not-type? @delete.line comment))
(block (_) . (_) @delete.line (#not-type? @delete.line comment))
