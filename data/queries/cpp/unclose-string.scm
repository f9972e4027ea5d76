; kind: syntax
; description: delete the closing quote of a string or character literal
(string_literal "\"" @delete .)
(char_literal "'" @delete .)
