; kind: syntax
; description: delete the closing quote of a string or template literal
(string "\"" @delete .)
(string "'" @delete .)
(template_string "`" @delete .)
