"""Read PostgreSQL's ``timestamptz`` with psycopg's own loader where it gives Django's values.

Django puts a loader of its own in front of psycopg's for ``timestamptz``,
so that values come back in the time zone Django promised (and naive with
``USE_TZ`` off): psycopg's loader runs, then a ``replace(tzinfo=...)`` in
Python, once per value. Django also sets each session's time zone to that
same zone, so with ``USE_TZ`` on the replace changes nothing, and reading a
million timestamps it costs about a second. A cursor that reads rows in
bulk takes psycopg's loader straight when, and only when, the loader in
place is Django's own, unchanged, and the zone psycopg reads in is the
zone it would have put.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper


def read_timestamps_natively(connection: BaseDatabaseWrapper, cursor: Any) -> None:
    """Let ``cursor`` (Django's cursor wrapper) load ``timestamptz`` as psycopg does, if equal."""
    if connection.vendor != "postgresql" or not settings.USE_TZ:
        return
    driver_cursor = getattr(cursor, "cursor", cursor)
    adapters = getattr(driver_cursor, "adapters", None)
    if adapters is None:  # psycopg2, whose cursors Django sets up another way
        return
    # Django's module over psycopg 3, which only a PostgreSQL connection may import.
    from django.db.backends.postgresql import psycopg_any

    driver: Any = psycopg_any  # its names from psycopg 3 are not in Django's stubs
    oid = driver.types["timestamptz"].oid
    djangos: Any = adapters.get_loader(oid, driver.pq.Format.TEXT)
    own: Any = psycopg_any.BaseTzLoader
    if not (isinstance(djangos, type) and issubclass(djangos, own)):
        return  # another loader than Django's: it stays
    if getattr(djangos, "load", None) is not own.load:
        return  # Django's, changed by a subclass
    # The zone of the session, as psycopg reads values in it, against the
    # zone Django's loader sets on them.
    if getattr(djangos, "timezone", None) != driver_cursor.connection.info.timezone:
        return
    adapters.register_loader(oid, psycopg_any.orig_tz_loader_cls)
