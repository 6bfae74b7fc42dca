"""Import: load an archive into a database, in one transaction.

The archive is verified and sorted per model first (:mod:`.source`), checked
against the installed models (:mod:`.drift`), planned (:mod:`.plan`: keys,
matches, conflicts, order, cycles) and only then written (:mod:`.apply`);
:mod:`.run` drives the stages. The public entry point is
:func:`django_graft.import_archive`.
"""
