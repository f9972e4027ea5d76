; kind: syntax
; description: transpose two letters of a keyword (return -> retrun, func -> fnuc)
["func" "return" "if" "else" "for" "range" "var" "const" "type" "struct" "package"
 "import" "switch" "case" "go" "defer" "select" "interface"] @misspell
