; kind: syntax
; description: transpose two letters of a keyword (return -> retrun, def -> dfe)
["def" "return" "class" "import" "from" "if" "elif" "else" "for" "while" "in" "try"
 "except" "finally" "with" "lambda" "yield" "raise" "assert" "not" "and" "or"] @misspell
