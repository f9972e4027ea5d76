# Sphinx conf.py: tags
project = 'demo'
if tags.has('draft'):
    todo_include_todos = True
