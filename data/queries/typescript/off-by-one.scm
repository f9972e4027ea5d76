; kind: content
; description: add or subtract one from an integer literal in a comparison or an index
(binary_expression left: (number) @increment operator: ["<" ">" "<=" ">=" "==" "!=" "===" "!=="])
(binary_expression operator: ["<" ">" "<=" ">=" "==" "!=" "===" "!=="] right: (number) @increment)
(subscript_expression index: (number) @increment)
