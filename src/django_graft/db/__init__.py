"""Everything that talks to a database backend below the ORM.

Batched reads, key filters, driver-level statements, deferred constraint
checks, snapshots. Each use of an API Django does not document lives here,
with a comment naming the behaviour it relies on and a test that fails on a
Django version that changes it.
"""
