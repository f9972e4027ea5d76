; kind: content
; description: add or subtract one from an integer literal in a comparison or an index
(binary_expression left: (number_literal) @increment operator: ["<" ">" "<=" ">=" "==" "!="])
(binary_expression operator: ["<" ">" "<=" ">=" "==" "!="] right: (number_literal) @increment)
(subscript_argument_list (number_literal) @increment)
