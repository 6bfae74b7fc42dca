"""Collect: find the tree of some roots, following the policy along the edges.

:mod:`.roots` reads the roots users name, :mod:`.walk` walks the edges into a
:mod:`.graph` of key sets per model and role, :mod:`.ordering` orders models
for writing, :mod:`.outside` finds the rows outside a tree that point into it.
"""
