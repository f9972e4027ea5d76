; kind: content
; description: add or subtract one from an integer literal in a comparison or an index
(binary_expression left: [(decimal_integer_literal) (hex_integer_literal)] @increment
 operator: ["<" ">" "<=" ">=" "==" "!="])
(binary_expression operator: ["<" ">" "<=" ">=" "==" "!="]
 right: [(decimal_integer_literal) (hex_integer_literal)] @increment)
(array_access index: [(decimal_integer_literal) (hex_integer_literal)] @increment)
