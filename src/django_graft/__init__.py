"""django-graft: move, copy, archive and remove whole object graphs in Django.

The public names load on first use, so that listing ``django_graft`` in
``INSTALLED_APPS`` imports nothing that needs the app registry.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from django_graft.exceptions import (
        AmbiguousMatch,
        ArchiveError,
        ArchiveFormatError,
        ConflictError,
        CrossLinkError,
        DeleteBlocked,
        DeleteRefused,
        DestinationError,
        DynamicEdgeError,
        GraftError,
        ImportRefused,
        ImportWriteError,
        LimitExceeded,
        ManifestError,
        MissingDependency,
        ObjectNotFound,
        PermissionRefused,
        PolicyError,
        SchemaDriftError,
        SpecError,
        UnresolvedReference,
        UntrustedArchive,
    )
    from django_graft.importer.run import ImportResult, import_archive
    from django_graft.operations.clone import CloneResult, clone
    from django_graft.operations.delete import DeleteResult, delete
    from django_graft.operations.each import delete_each, export_each
    from django_graft.operations.eachrun import EachResult
    from django_graft.operations.export import ExportResult, export
    from django_graft.operations.importeach import import_each
    from django_graft.policy.rules import Policy, Rule
    from django_graft.tree.graph import Graph, ModelCount, Role
    from django_graft.tree.walk import collect

_PUBLIC = {
    "AmbiguousMatch": "exceptions",
    "ArchiveError": "exceptions",
    "ArchiveFormatError": "exceptions",
    "CloneResult": "operations.clone",
    "ConflictError": "exceptions",
    "CrossLinkError": "exceptions",
    "DeleteBlocked": "exceptions",
    "DeleteRefused": "exceptions",
    "DeleteResult": "operations.delete",
    "DestinationError": "exceptions",
    "DynamicEdgeError": "exceptions",
    "EachResult": "operations.eachrun",
    "ExportResult": "operations.export",
    "Graph": "tree.graph",
    "GraftError": "exceptions",
    "ImportRefused": "exceptions",
    "ImportResult": "importer.run",
    "ImportWriteError": "exceptions",
    "LimitExceeded": "exceptions",
    "ManifestError": "exceptions",
    "MissingDependency": "exceptions",
    "ModelCount": "tree.graph",
    "ObjectNotFound": "exceptions",
    "PermissionRefused": "exceptions",
    "Policy": "policy.rules",
    "PolicyError": "exceptions",
    "Role": "tree.graph",
    "Rule": "policy.rules",
    "SchemaDriftError": "exceptions",
    "SpecError": "exceptions",
    "UnresolvedReference": "exceptions",
    "UntrustedArchive": "exceptions",
    "clone": "operations.clone",
    "collect": "tree.walk",
    "delete": "operations.delete",
    "delete_each": "operations.each",
    "export": "operations.export",
    "export_each": "operations.each",
    "import_archive": "importer.run",
    "import_each": "operations.importeach",
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
    "DynamicEdgeError",
    "EachResult",
    "ExportResult",
    "GraftError",
    "Graph",
    "ImportRefused",
    "ImportResult",
    "ImportWriteError",
    "LimitExceeded",
    "ManifestError",
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
    "delete_each",
    "export",
    "export_each",
    "import_archive",
    "import_each",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'django_graft' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
