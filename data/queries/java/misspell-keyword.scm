; kind: syntax
; description: transpose two letters of a keyword (return -> retrun, public -> pubilc)
["class" "interface" "public" "private" "protected" "static" "final" "return" "if" "else"
 "for" "while" "new" "import" "package" "throw" "throws" "try" "catch" "switch" "case"
 "extends" "implements" "instanceof"] @misspell
