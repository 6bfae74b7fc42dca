"""Move key sequences past the keys an import wrote itself, as ``loaddata`` does."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.management.color import no_style
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model


def reset_sequences(connection: BaseDatabaseWrapper, models: Sequence[type[Model]]) -> None:
    """Make the next key each of ``models`` draws come after its largest.

    Through the backend's ``ops.sequence_reset_sql`` (undocumented; what
    ``loaddata`` runs after loading rows with their keys): nothing on
    backends whose keys follow the table's largest by themselves.
    """
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
