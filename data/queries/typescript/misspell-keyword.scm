; kind: syntax
; description: transpose two letters of a keyword (return -> retrun, function -> funtcion)
["function" "return" "if" "else" "for" "while" "const" "let" "var" "class" "new" "typeof"
 "throw" "try" "catch" "switch" "case" "import" "export" "from" "await" "instanceof"
 "interface" "extends" "implements" "enum" "private" "public" "readonly"] @misspell
