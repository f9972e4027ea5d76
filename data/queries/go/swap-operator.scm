; kind: content
; description: flip an operator: == !=, < >=, > <=, + -, && ||
(binary_expression operator: ["==" "!=" "<" ">" "<=" ">=" "+" "-" "&&" "||"] @operator)
