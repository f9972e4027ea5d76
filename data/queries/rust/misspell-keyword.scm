; kind: syntax
; description: transpose two letters of a keyword (return -> retrun, let -> lte)
["fn" "let" "return" "if" "else" "for" "while" "loop" "match" "impl" "struct" "enum" "pub"
 "use" "mod" "trait" "where" "const" "static" "in"] @misspell
(mutable_specifier) @misspell
