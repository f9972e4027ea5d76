; kind: content
; description: swap two adjacent positional arguments of a call
(call arguments: (argument_list (_) @swap.a . (_) @swap.b)
 (#not-type? @swap.a keyword_argument list_splat dictionary_splat comment)
 (#not-type? @swap.b keyword_argument list_splat dictionary_splat comment))
