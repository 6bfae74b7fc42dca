"""What a plan holds: per model, which rows are created, overwritten, skipped or matched.

:mod:`.plan` decides it before anything is written; the writer
(:mod:`.apply`), the dry run, the authorisation and the sync's steps read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from django_graft.importer.carried import NamedValues
from django_graft.importer.decode import RowDecoder
from django_graft.importer.keybits import KeySet, key_set
from django_graft.importer.keypairs import KeyPairs
from django_graft.importer.links import KeyMaps
from django_graft.importer.relink import LinkPlan
from django_graft.importer.result import Conflict
from django_graft.importer.spool import ModelSpool

#: Records decoded per step while planning.
CHUNK = 2_000


@dataclass
class ModelPlan:
    """What happens to the rows of one model."""

    model: type[Model]
    label: str
    spool: ModelSpool
    decoder: RowDecoder
    #: How created rows get their keys: KEEP, RETURNING, DEFAULT or PARENT.
    new_keys: str
    create: KeySet = field(default_factory=set)
    #: {archive key: key of the existing row it overwrites} (--on-conflict update)
    update: dict[Any, Any] = field(default_factory=dict)
    #: {archive key: key of the existing row that stands for it} (--on-conflict skip)
    skip: dict[Any, Any] = field(default_factory=dict)
    #: {archive key: existing key} for needed rows found in the database.
    matched: dict[Any, Any] = field(default_factory=dict)
    #: {archive key: the same key} for owned rows stored with the archive's values.
    unchanged: dict[Any, Any] = field(default_factory=dict)
    #: Keys of created rows whose keys the database gives as they are written (the
    #: import's :class:`.links.KeyMaps` share the set: writing the rows empties it).
    pending: KeySet = field(default_factory=set)
    #: {archive key: key drawn for it before it is written} (:mod:`.keysahead`), for
    #: every created row: the import's key map of the model, which may hold others too.
    reserved: KeyPairs = field(default_factory=KeyPairs)
    #: How many of the created rows are needed rows no existing row matched.
    created_needed: int = 0
    #: Keys of ``update`` a sync overwrites because only the source changed them.
    synced: set[Any] = field(default_factory=set)
    #: Keys of ``unchanged`` a sync found stored as a record that changed has them.
    resynced: set[Any] = field(default_factory=set)
    #: {owned key: fingerprint of its record}, in a sync.
    sources: dict[Any, str] = field(default_factory=dict)
    #: {archive key: the key of the row it replaces in the ledger}: rows re-created at
    #: the source, which take the rows an earlier sync made for the old ones.
    adopted: dict[Any, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Bits where the keys are integers and many: a million rows to
        # create cost a few kilobytes, not 60 megabytes.
        self.create = key_set(self.spool.integer_key, self.spool.count)
        self.pending = key_set(self.spool.integer_key, self.spool.count)

    def owned_written(self) -> KeySet:
        """The keys of the owned rows, but those skipped for a key another row holds."""
        owned = self.keys_like(self.spool.owned_keys)
        owned.difference_update(self.skip)
        return owned

    def keys_like(self, keys: Iterable[Any] = ()) -> KeySet:
        """A new set of this model's keys, of the kind its plan's sets are."""
        made = key_set(self.spool.integer_key, self.spool.count)
        made.update(keys)
        return made


@dataclass
class Plan:
    using: str
    remap: bool
    order: list[ModelPlan]
    keys: KeyMaps
    conflicts: list[Conflict]
    warnings: list[str]
    #: {model: keys of its rows the archive carries, as records or references}
    archived: dict[type[Model], KeySet]
    #: Foreign keys of rows outside the archive to put back (link records).
    links: LinkPlan = field(default_factory=LinkPlan)
    #: The carried values of the columns that links by ``to_field`` name.
    named: NamedValues = field(default_factory=dict)
    #: Whether the archive was read from this database (a clone).
    in_place: bool = False
