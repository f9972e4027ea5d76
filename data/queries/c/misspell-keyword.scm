; kind: syntax
; description: transpose two letters of a keyword (return -> retrun, while -> whlie)
["return" "if" "else" "for" "while" "do" "switch" "case" "struct" "typedef" "sizeof"
 "static" "const" "enum" "union" "goto" "extern"] @misspell
