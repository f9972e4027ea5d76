; kind: syntax
; description: transpose two letters of a keyword (return -> retrun, class -> clsas)
["return" "if" "else" "for" "while" "do" "switch" "case" "struct" "class" "typedef"
 "sizeof" "static" "const" "enum" "namespace" "template" "typename" "public" "private"
 "protected" "virtual" "using" "new" "delete" "throw" "try" "catch"] @misspell
