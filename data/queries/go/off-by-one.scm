; kind: content
; description: add or subtract one from an integer literal in a comparison, index or slice
(binary_expression left: (int_literal) @increment operator: ["<" ">" "<=" ">=" "==" "!="])
(binary_expression operator: ["<" ">" "<=" ">=" "==" "!="] right: (int_literal) @increment)
(index_expression index: (int_literal) @increment)
(slice_expression start: (int_literal) @increment)
(slice_expression end: (int_literal) @increment)
