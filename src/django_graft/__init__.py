"""django-graft: move, copy, archive and remove whole object graphs in Django.

The public names load on first use, so that listing ``django_graft`` in
``INSTALLED_APPS`` imports nothing that needs the app registry.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .collector import collect
    from .exceptions import (
        ArchiveError,
        ArchiveFormatError,
        DestinationError,
        GraftError,
        ObjectNotFound,
        PolicyError,
        SpecError,
    )
    from .exporter import ExportResult, export
    from .graph import Graph, ModelCount, Role
    from .policy import Policy, Rule

_PUBLIC = {
    "ArchiveError": "exceptions",
    "ArchiveFormatError": "exceptions",
    "DestinationError": "exceptions",
    "ExportResult": "exporter",
    "Graph": "graph",
    "GraftError": "exceptions",
    "ModelCount": "graph",
    "ObjectNotFound": "exceptions",
    "Policy": "policy",
    "PolicyError": "exceptions",
    "Role": "graph",
    "Rule": "policy",
    "SpecError": "exceptions",
    "collect": "collector",
    "export": "exporter",
}

__all__ = [
    "ArchiveError",
    "ArchiveFormatError",
    "DestinationError",
    "ExportResult",
    "GraftError",
    "Graph",
    "ModelCount",
    "ObjectNotFound",
    "Policy",
    "PolicyError",
    "Role",
    "Rule",
    "SpecError",
    "__version__",
    "collect",
    "export",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'django_graft' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
