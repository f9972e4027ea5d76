; kind: content
; description: delete one simple statement from a block that has at least two
; (definitions and compound statements are left alone: deleting them removes whole units;
; docstrings are left alone: deleting one changes nothing)
(block (_) @delete.line . (_)
 (#type? @delete.line expression_statement return_statement pass_statement break_statement
   continue_statement raise_statement assert_statement delete_statement global_statement
   nonlocal_statement import_statement import_from_statement)
 (#not-match? @delete.line "^[rRbBuUfF]*[\"']"))
(block (_) . (_) @delete.line
 (#type? @delete.line expression_statement return_statement pass_statement break_statement
   continue_statement raise_statement assert_statement delete_statement global_statement
   nonlocal_statement import_statement import_from_statement)
 (#not-match? @delete.line "^[rRbBuUfF]*[\"']"))
