; kind: content
; description: swap two adjacent arguments of a call
(argument_list (_) @swap.a . (_) @swap.b
 (#not-type? @swap.a variadic_argument comment type_identifier)
 (#not-type? @swap.b variadic_argument comment type_identifier))
