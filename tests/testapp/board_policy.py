"""The policy declaring the boards' dynamic edges, by dotted path for the commands' --policy."""

from __future__ import annotations

from django_graft import Policy
from tests.testapp.boards import BOARD_EDGES

POLICY = Policy(dynamic_edges=BOARD_EDGES)
