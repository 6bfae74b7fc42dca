"""django-graft: move, copy, archive and remove whole object graphs in Django.

The public names load on first use, so that listing ``django_graft`` in
``INSTALLED_APPS`` imports nothing that needs the app registry.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .cloner import CloneResult, clone
    from .collector import collect
    from .deleter import DeleteResult, delete
    from .exceptions import (
        AmbiguousMatch,
        ArchiveError,
        ArchiveFormatError,
        ConflictError,
        CrossLinkError,
        DeleteBlocked,
        DeleteRefused,
        DestinationError,
        GraftError,
        ImportRefused,
        ImportWriteError,
        LimitExceeded,
        MissingDependency,
        ObjectNotFound,
        PermissionRefused,
        PolicyError,
        SchemaDriftError,
        SpecError,
        UnresolvedReference,
        UntrustedArchive,
    )
    from .exporter import ExportResult, export
    from .graph import Graph, ModelCount, Role
    from .importer import ImportResult, import_archive
    from .policy import Policy, Rule

_PUBLIC = {
    "AmbiguousMatch": "exceptions",
    "ArchiveError": "exceptions",
    "ArchiveFormatError": "exceptions",
    "CloneResult": "cloner",
    "ConflictError": "exceptions",
    "CrossLinkError": "exceptions",
    "DeleteBlocked": "exceptions",
    "DeleteRefused": "exceptions",
    "DeleteResult": "deleter",
    "DestinationError": "exceptions",
    "ExportResult": "exporter",
    "Graph": "graph",
    "GraftError": "exceptions",
    "ImportRefused": "exceptions",
    "ImportResult": "importer",
    "ImportWriteError": "exceptions",
    "LimitExceeded": "exceptions",
    "MissingDependency": "exceptions",
    "ModelCount": "graph",
    "ObjectNotFound": "exceptions",
    "PermissionRefused": "exceptions",
    "Policy": "policy",
    "PolicyError": "exceptions",
    "Role": "graph",
    "Rule": "policy",
    "SchemaDriftError": "exceptions",
    "SpecError": "exceptions",
    "UnresolvedReference": "exceptions",
    "UntrustedArchive": "exceptions",
    "clone": "cloner",
    "collect": "collector",
    "delete": "deleter",
    "export": "exporter",
    "import_archive": "importer",
}

__all__ = [
    "AmbiguousMatch",
    "ArchiveError",
    "ArchiveFormatError",
    "CloneResult",
    "ConflictError",
    "CrossLinkError",
    "DeleteBlocked",
    "DeleteRefused",
    "DeleteResult",
    "DestinationError",
    "ExportResult",
    "GraftError",
    "Graph",
    "ImportRefused",
    "ImportResult",
    "ImportWriteError",
    "LimitExceeded",
    "MissingDependency",
    "ModelCount",
    "ObjectNotFound",
    "PermissionRefused",
    "Policy",
    "PolicyError",
    "Role",
    "Rule",
    "SchemaDriftError",
    "SpecError",
    "UnresolvedReference",
    "UntrustedArchive",
    "__version__",
    "clone",
    "collect",
    "delete",
    "export",
    "import_archive",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'django_graft' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
