; kind: content
; description: flip an operator: == !=, < >=, > <=, + -, and or
(comparison_operator operators: ["==" "!=" "<" ">" "<=" ">="] @operator)
(binary_operator operator: ["+" "-"] @operator)
(boolean_operator operator: ["and" "or"] @operator)
