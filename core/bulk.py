"""
One UPDATE for many rows, each with its own values: the batch writers' statement
(the auto-cancel sweep writes a hundred orders' statuses, lines and shelves at once).

Django's forms of it (``bulk_update``, ``update()`` with ``Case(When(pk=…))``) build an
expression per row, about 0.5 ms of Python each, more than the database spends on the
statement; this writes the rows as a ``VALUES`` list instead, which PostgreSQL and
SQLite (3.33+) both join on: ``UPDATE t SET … FROM (VALUES (…), …) AS v WHERE t.id = v.column1``.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


def update_rows(
    model: type[Model],
    rows: Sequence[Sequence[Any]],
    *,
    set_sql: str,
    set_params: Sequence[Any] = (),
    where_sql: str = "",
    lock_in_id_order: bool = False,
) -> int:
    """
    Update ``model``'s rows from ``rows``, each ``(pk, value, …)``: ``set_sql`` and
    ``where_sql`` read the row's values as ``v.column2``, ``v.column3``… and the row as
    ``t`` (a column to set is named bare: ``stock = t.stock + v.column2``);
    ``set_params`` fill ``set_sql``'s own placeholders. With
    ``lock_in_id_order`` the rows are locked lowest id first by a subquery before they
    are written (PostgreSQL), the order checkout locks listings in. Returns how many
    rows were written.
    """
    if not rows:
        return 0
    width = len(rows[0])
    values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(rows))
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column or "id")
    # Only quoted names and the callers' constant SQL are formatted in; values are parameters.
    sql = f"UPDATE {table} AS t SET {set_sql} FROM (VALUES {values}) AS v WHERE t.{pk} = v.column1"  # noqa: S608
    arguments = [value for row in rows for value in row]
    if lock_in_id_order and connection.features.has_select_for_update:
        ids = ", ".join(["%s"] * len(rows))
        sql += (
            f" AND t.{pk} IN (SELECT {pk} FROM {table} WHERE {pk} IN ({ids})"  # noqa: S608
            f" ORDER BY {pk} {connection.ops.for_update_sql()})"
        )
        arguments += [row[0] for row in rows]
    if where_sql:
        sql += f" AND {where_sql}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*set_params, *arguments])
        return cursor.rowcount
