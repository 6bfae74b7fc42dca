"""Policies of the example project.

``LINKED`` declares the keys an agenda item's ``links`` hold as dynamic
edges, so exports carry the rows they name and clones and imports point
them at the rows' copies: ``graft_clone tenants.Organisation:1 --policy
tenants.policies.LINKED``.
"""

from __future__ import annotations

from django_graft import Policy

LINKED = Policy(
    dynamic_edges={
        "tenants.AgendaItem.links": [
            {"path": "$.see_also[*]", "to": "tenants.AgendaItem"},
            {"path": "$.decided_by", "to": "tenants.Proposal"},
        ]
    }
)
