; kind: syntax
; description: drop the ':' that ends a compound-statement header
(function_definition ":" @delete)
(class_definition ":" @delete)
(if_statement ":" @delete)
(elif_clause ":" @delete)
(else_clause ":" @delete)
(for_statement ":" @delete)
(while_statement ":" @delete)
(try_statement ":" @delete)
(except_clause ":" @delete)
(finally_clause ":" @delete)
(with_statement ":" @delete)
