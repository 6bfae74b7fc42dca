"""Sets of primary keys kept in temporary tables of the connection.

A walk of a tree of ten million rows cannot hold its keys in Python. Past
``GRAFT["SERVER_SIDE_KEYS"]`` keys of one model, the walk keeps them in a
:class:`KeyTable`: a temporary table of one column, the key, each key once.
Edges are then followed by
``INSERT … SELECT`` statements the ORM compiles (so managers, multi-table
joins and quoting are Django's own), and rows are read by joining with the
table: the keys never travel through Python.

Every statement goes through Django's cursor, so its hooks and logger see
it. Temporary tables belong to the connection and vanish with it; they are
also dropped as soon as their walk or operation ends.

On SQLite and MariaDB the column is the table's primary key, so adding a
key twice keeps one. On PostgreSQL, keeping a unique index up to date as
a walk adds a million keys costs about a third of the walk: the table is
filled without one, each statement leaving out the keys it holds
already (by a set operation, which no plan turns into a read of the table
per key: see :meth:`KeyTable._insert`), and the index is made once, when
a read first needs keys in order or one key found (:meth:`KeyTable.slices`,
``in``, ``discard``), or once statements looking keys up have read through
the table a few times (``SCANS_BEFORE_INDEX``). The column is ``NOT
NULL``, as a key is.

PostgreSQL refuses ``CREATE TABLE`` in a read-only transaction, temporary
or not, and MariaDB refuses to write into one: a snapshot that may hold
key tables is opened read-write (see
:func:`~django_graft.db.snapshot.consistent_snapshot`).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator, Set
from operator import itemgetter
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connections
from django.db.models import Model, QuerySet
from django.db.models.expressions import RawSQL

from django_graft.db.batching import chunked, key_batch_size
from django_graft.db.driver import run_statement
from django_graft.db.fetch import fetch_rows
from django_graft.db.keycolumns import key_column_type, tables_allowed
from django_graft.db.keyslices import KeySlice, narrowed

#: Names of this process's tables: temporary tables are private to their
#: connection, so a counter is enough to keep two tables apart.
_numbers = itertools.count(1)

#: A fill of this many keys has the table's statistics refreshed (PostgreSQL).
ANALYSED = 1_000

#: Keys per INSERT ... VALUES statement, where keys are not sent as one array.
VALUES_PER_STATEMENT = 10_000

#: Keys read back per query when a table is iterated.
PAGE = 10_000

#: PostgreSQL's tables get their index once lookups have read through them
#: this many times their size (and at least a page's).
SCANS_BEFORE_INDEX = 8

#: Inserting keys that are there already keeps one: the table's primary key
#: (PostgreSQL's tables leave them out instead: see :meth:`KeyTable._insert`).
_INSERT = {"sqlite": "INSERT OR IGNORE INTO", "mysql": "INSERT IGNORE INTO"}

_CREATE = {
    "sqlite": "CREATE TEMP TABLE",
    "postgresql": "CREATE TEMPORARY TABLE",
    "mysql": "CREATE TEMPORARY TABLE",
}

_DROP = {
    "sqlite": "DROP TABLE IF EXISTS temp.",
    "postgresql": "DROP TABLE IF EXISTS pg_temp.",
    "mysql": "DROP TEMPORARY TABLE IF EXISTS ",
}


class KeyTable(Set[Any]):
    """The primary keys of some rows of one model, in a temporary table.

    A read-only set: sized (the count is kept as keys are added), iterated in
    key order a part at a time, asked about one key by a query. Set
    operations (``|``, ``-``) read it whole into Python, for small trees;
    large ones are used in queries as ``field IN (SELECT …)`` through
    :meth:`subquery` and :meth:`slices`.
    """

    @classmethod
    def _from_iterable(cls, keys: Iterable[Any]) -> set[Any]:
        # What the operators of collections.abc.Set return: a Python set.
        return set(keys)

    def __init__(self, model: type[Model], using: str) -> None:
        kind = key_column_type(model, using)
        if kind is None:
            raise ValueError(f"{model._meta.label} cannot keep its keys in a table")
        self.model = model
        self.using = using
        self.connection = connections[using]
        vendor = self.connection.vendor
        self.name = self.connection.ops.quote_name(f"graft_keys_{next(_numbers)}")
        # The key's type without its collation, for an array of keys, and the
        # collation keys are told apart in (PostgreSQL).
        self._cast = kind.split(" COLLATE ")[0]
        self._collate = kind[len(self._cast) :]
        self._count = 0
        self._dropped = False
        # Whether the keys have an index (PostgreSQL makes it when needed),
        # and how many keys lookups have read through since (see _probed).
        self._indexed = vendor != "postgresql"
        self._scanned = 0
        if vendor == "mysql":
            # The key's own column type, its character set and collation
            # included: a table's or a column's may differ from the database's.
            table = self.connection.ops.quote_name(model._meta.db_table)
            column = self.connection.ops.quote_name(model._meta.pk.column)
            self._execute(
                f"{_CREATE[vendor]} {self.name} (PRIMARY KEY (k)) "
                f"SELECT {column} AS k FROM {table} LIMIT 0"
            )
        elif vendor == "postgresql":
            self._execute(f"{_CREATE[vendor]} {self.name} (k {kind} NOT NULL)")
        else:
            self._execute(f"{_CREATE[vendor]} {self.name} (k {kind} PRIMARY KEY)")

    def __repr__(self) -> str:
        return f"<KeyTable {self.name} of {self.model._meta.label}: {self._count} keys>"

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[Any]:
        for part in self.slices():
            ordered = self.rows(part).values_list("pk").order_by("pk")
            for chunk in fetch_rows(ordered, PAGE):
                yield from map(itemgetter(0), chunk)

    def __contains__(self, key: Any) -> bool:
        self._index()
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {self.name} WHERE k = %s", [self._prepared(key)])
            return cursor.fetchone() is not None

    # -- reading -----------------------------------------------------------

    def subquery(self) -> RawSQL:
        """``SELECT k FROM table``, for ``filter(field__in=…)``."""
        return RawSQL(f"SELECT k FROM {self.name}", ())

    def rows(self, part: RawSQL | None = None) -> QuerySet[Any, Any]:
        """The model's rows whose key is in the table, or in one of its :meth:`slices`."""
        manager = self.model._base_manager.using(self.using)
        return narrowed(manager.all(), part if part is not None else self.subquery())

    def slices(self, size: int = PAGE) -> Iterator[KeySlice]:
        """The table cut in key order into parts of ``size`` keys, as subqueries.

        The bounds of each part are found in the table (one query a part),
        compared as the database stores them: no key is turned into a Python
        value and back. Rows are then read a part at a time rather than
        through one open cursor: a MariaDB driver reads a whole result into
        memory, and SQLite cannot fill or drop a table while a statement
        reads it.
        """
        self._index()
        low: list[Any] = []
        left = self._count
        while left > 0:
            above = "WHERE k > %s " if low else ""
            with self.connection.cursor() as cursor:
                # The last key of the part: a key to compare with, of the
                # table's type (PostgreSQL has no MAX() of a uuid).
                cursor.execute(
                    f"SELECT k FROM {self.name} {above}ORDER BY k LIMIT 1 OFFSET {int(size) - 1}",
                    low,
                )
                found = cursor.fetchone()
            if found is None:  # the rest
                yield KeySlice(self.name, low[0] if low else None, None)
                return
            yield KeySlice(self.name, low[0] if low else None, found[0])
            low = [found[0]]
            left -= size

    def absent(self, among: KeyTable | None = None) -> list[Any]:
        """The keys of the table that name no row of the model (as its base manager reads it).

        With ``among``, only those of its keys.
        """
        self._check()
        row: Any = self.model._base_manager.using(self.using).filter(
            pk=RawSQL(f"{self.name}.k", ())
        )
        compiler: Any = row.values("pk").query.get_compiler(using=self.using)
        sql, params = compiler.as_sql()
        held = "" if among is None else f" AND k IN (SELECT k FROM {among.name})"
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT k FROM {self.name} WHERE NOT EXISTS ({sql}){held}", params)
            found = [raw for (raw,) in cursor.fetchall()]
        pk: Any = self.model._meta.pk
        return [pk.to_python(raw) for raw in found]

    # -- writing -----------------------------------------------------------

    def add(self, keys: Iterable[Any]) -> None:
        """Add keys held in Python (a key there already is kept once)."""
        self._check()
        added = 0
        size = key_batch_size(self.connection)
        if self.connection.vendor != "postgresql":
            # A statement of tens of thousands of values costs SQLite tens of
            # megabytes to prepare: a few more statements cost less.
            size = min(size, VALUES_PER_STATEMENT)
        for batch in chunked(map(self._prepared, keys), size):
            if self.connection.vendor == "postgresql":
                # One array parameter: psycopg binds a statement's values one by one.
                cast, once = self._cast, f"u.k{self._collate}"  # equal in the key's collation
                values = f"SELECT DISTINCT {once} FROM unnest(%s::{cast}[]) AS u (k)"
                params = [_array_of(batch)]
            else:
                values, params = "VALUES " + ", ".join(["(%s)"] * len(batch)), batch
            added += max(run_statement(self.connection, self._insert(values), params), 0)
        self._added(added)

    def add_query(self, queryset: QuerySet[Any, Any], *, distinct: bool = False) -> int:
        """Add the values of a one-column ``values_list()`` queryset; return how many were new.

        One ``INSERT … SELECT``: the values stay in the database. ``distinct``
        says the queryset selects no value twice.
        """
        self._check()
        if not queryset.query.is_sliced:
            queryset = queryset.order_by()  # an order would only cost a sort
        compiler: Any = queryset.query.get_compiler(using=self.using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # a filter that can match nothing
            return 0
        if self.connection.vendor == "postgresql":
            sql = f"SELECT {'' if distinct else 'DISTINCT '}s.k FROM ({sql}) AS s (k)"
        with self.connection.cursor() as cursor:
            cursor.execute(self._insert(sql), params)
            return self._added(cursor.rowcount)

    def add_all(self, source: KeyTable, *, disjoint: bool = False) -> int:
        """Add the keys of another table of the model's keys; return how many were new.

        ``disjoint`` says no key of ``source`` is in this table: a plain insert.
        """
        self._check()
        values = f"SELECT k FROM {source.name}"
        statement = f"INSERT INTO {self.name} (k) {values}" if disjoint else self._insert(values)
        return self._added(run_statement(self.connection, statement, []))

    def remove_all(self, other: KeyTable) -> int:
        """Take out the keys another table holds; return how many went."""
        self._check()
        other._probed()
        statement = f"DELETE FROM {self.name} WHERE k IN (SELECT k FROM {other.name})"
        removed = max(run_statement(self.connection, statement, []), 0)
        self._count -= removed
        return removed

    def discard(self, key: Any) -> None:
        self._index()
        with self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.name} WHERE k = %s", [self._prepared(key)])
            self._count -= max(int(cursor.rowcount), 0)

    def drop(self) -> None:
        """Drop the table; its count stays readable, its keys do not.

        A transaction that failed cannot run the statement: the table then
        goes with the rollback (PostgreSQL) or with the connection.
        """
        if self._dropped:
            return
        self._dropped = True
        with contextlib.suppress(DatabaseError):
            self._execute(f"{_DROP[self.connection.vendor]}{self.name}")

    # -- helpers -------------------------------------------------------------

    def _insert(self, values: str) -> str:
        """The statement adding the keys ``values`` selects (or lists), keeping each once.

        On PostgreSQL ``values`` selects each key once, and the keys the table
        holds are left out: that costs half what ``ON CONFLICT`` does (a
        speculative insertion a row), and needs no unique index. While the
        table has none, they are left out by ``EXCEPT``, a set operation
        (hashed or sorted, the table read once), never by an anti-join: with
        statistics taken before a tree was loaded, PostgreSQL expects a row
        or two from the step and may plan the anti-join as a nested loop,
        reading the whole table again for each of the thousands of keys
        found (an export of a million rows took nine minutes instead of
        twenty seconds). With the index, a nested loop looks each key up.
        """
        vendor = self.connection.vendor
        if vendor != "postgresql":
            return f"{_INSERT[vendor]} {self.name} (k) {values}"
        self._probed()
        if not self._indexed:
            # In the key's collation, as the table tells keys apart.
            return (
                f"INSERT INTO {self.name} (k) SELECT n.k{self._collate} FROM ({values}) AS n (k) "
                f"EXCEPT SELECT k FROM {self.name}"
            )
        return (
            f"INSERT INTO {self.name} (k) SELECT n.k FROM ({values}) AS n (k) "
            f"WHERE NOT EXISTS (SELECT 1 FROM {self.name} t WHERE t.k = n.k)"
        )

    def _probed(self) -> None:
        """Note a statement looking keys up in the table, which reads it whole without an index.

        Once those reads add up to a few times the table (a deep tree's
        later rounds, each looking a few keys up in a large table), the
        index is made: it costs less than the next reads.
        """
        if not self._indexed:
            self._scanned += self._count
            if self._scanned > SCANS_BEFORE_INDEX * max(self._count, PAGE):
                self._index()

    def _index(self) -> None:
        """Give the keys their index, before the first read that needs one (PostgreSQL).

        Made once over all the keys: later additions keep it up to date.
        A primary key, so a key somehow added twice fails here, loudly. A
        read-only transaction (reading a graph walked in another) cannot
        alter a table: its reads go without, right but slower.
        """
        self._check()
        if not self._indexed and tables_allowed(self.using):
            self._execute(f"ALTER TABLE {self.name} ADD PRIMARY KEY (k)")
            self._indexed = True

    def _prepared(self, key: Any) -> Any:
        pk: Any = self.model._meta.pk
        return pk.get_db_prep_value(key, self.connection, prepared=False)

    def _added(self, added: int) -> int:
        added = max(int(added), 0)
        self._count += added
        self._analyse(added)
        return added

    def _analyse(self, added: int) -> None:
        # PostgreSQL's autovacuum never analyses temporary tables: without
        # statistics, a table of a million keys is planned as a few rows.
        # A table it plans as small while it is is left as it is.
        if added >= ANALYSED and self.connection.vendor == "postgresql":
            self._execute(f"ANALYZE {self.name}")

    def _execute(self, sql: str) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql)

    def _check(self) -> None:
        if self._dropped:
            raise RuntimeError(
                f"The keys of {self.model._meta.label} were kept in a temporary table that is "
                "dropped: the graph was closed when its operation ended."
            )


def _array_of(keys: list[Any]) -> Any:
    """Keys as one PostgreSQL array parameter: integers as a literal, written here."""
    if set(map(type, keys)) <= {int}:
        return "{" + ",".join(map(str, keys)) + "}"
    return keys
