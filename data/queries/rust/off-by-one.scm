; kind: content
; description: add or subtract one from an integer literal in a comparison, range or index
(binary_expression left: (integer_literal) @increment operator: ["<" ">" "<=" ">=" "==" "!="])
(binary_expression operator: ["<" ">" "<=" ">=" "==" "!="] right: (integer_literal) @increment)
(range_expression (integer_literal) @increment)
(index_expression (_) (integer_literal) @increment)
