; kind: syntax
; description: drop a ',' between two arguments, parameters or initializers (f(a b), {1 2})
(argument_list "," @delete)
(parameter_list "," @delete)
(initializer_list "," @delete)
