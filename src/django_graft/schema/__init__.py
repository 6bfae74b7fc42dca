"""What the installed models say: labels, relation edges, column types.

Pure introspection of Django's model metadata; nothing here reads a policy
or a row.
"""
