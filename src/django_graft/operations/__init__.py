"""Export, clone and delete, built on the walk (:mod:`django_graft.tree`),
the archive format (:mod:`django_graft.archive`) and the import
(:mod:`django_graft.importer`), with what only they use.
"""
