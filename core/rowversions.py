"""
The versions of the rows a page shows, read in one short query: the page cache's key
(core.pagecache, docs/DESIGN.md §13).

PostgreSQL writes every change of a row as a new row version, stamped with the
transaction that wrote it (``xmin``) and stored at a new place (``ctid``). The list of
``id:xmin(ctid)`` of a page's rows therefore changes whenever one of them changes, appears
or goes, whoever wrote it (a service, a bulk statement of the sweep, the outbox settling
money): there is no ``updated_at`` to keep right and nothing to invalidate by hand. The
place tells two versions written by one transaction apart (a test's, or a job's batch);
the transaction tells apart two versions stored at one place at different times.

A page names its rows as **roots** (a queryset: the viewer's order with this number, a
seller's page of orders), **paths** from them (``payment__transactions``,
``lines__listing``) and, by default, everything that **belongs** to the roots: each model
with a foreign key to them and theirs, found from the models, so a table about orders
that lands later is covered without touching the page. The SQL is built once a process
from the ORM and the models; a request only passes its values (a queryset built and
compiled per request costs more than the query).

Pages about orders read what belongs to an order from its version in the change log
instead (``log``, core.changelog: one indexed sum an order, where the row versions of its
twenty tables cost a scan each), and row versions only for what no order owns (its
parties, the listings its lines came from).
"""

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import ForeignObjectRel, Model, QuerySet

if TYPE_CHECKING:
    from core.changelog import ChangeLog

Slot = tuple[str, Any]  # ("arg", i) | ("text", template with the sentinels) | ("value", v)


def _sentinel(kind: type, index: int, run: int = 0) -> Any:
    """A value no real argument has, to find where each argument lands in the SQL."""
    if kind is int:
        return -(10**15) - 1000 * run - index
    return f"\ue000arg{index}.{run}\ue001"


class Rows:
    """
    The rows of one kind of page. Either ``roots`` is a function of the page's arguments
    (``versions(*args)``: the viewer's id, an order's number) or the page lists its roots'
    ids itself (``model``; ``versions_of(ids)``), for roots a query with more in it picks
    (a tab's orders as of now, a page of a list).
    """

    def __init__(
        self,
        roots: Callable[..., QuerySet[Any]] | None = None,
        *,
        model: type[Model] | None = None,
        paths: Sequence[str] = (),
        owned_depth: int = 2,
        log: "ChangeLog | None" = None,
        owner_path: str = "",
    ) -> None:
        if (roots is None) == (model is None):
            raise ImproperlyConfigured("Rows: give the roots' query or their model, not both")
        self.roots = roots
        self.model = model
        self.paths = tuple(paths)
        self.owned_depth = owned_depth
        self.log, self.owner_path = log, owner_path
        self._compiled = functools.cache(self._compile)

    def versions(self, *args: int | str) -> str | None:
        """
        The rows' versions for these arguments (passed to ``roots``); None where the
        database keeps no row versions (SQLite), so the page is not cached there.
        """
        sql, slots = self._compiled(tuple(type(arg) for arg in args))
        return _read(sql, [_fill(slot, args) for slot in slots])

    def versions_of(self, ids: Sequence[int]) -> str | None:
        """The versions of the rows with these ids (of ``model``) and of all they lead to."""
        sql, _slots = self._compiled(None)
        return _read(sql, [list(ids)])

    def _compile(self, kinds: tuple[type, ...] | None) -> tuple[str, list[Slot]]:
        slots: list[Slot] = []
        if kinds is None:
            model, root_sql = self.model, "SELECT unnest(%s::bigint[])"
        else:
            model, root_sql, slots = self._roots_sql(kinds)
        assert model is not None
        quote = connections["default"].ops.quote_name
        if self.log is None:
            paths = [(), *owned_paths(model, self.owned_depth), *self._paths()]
            parts = [_versions_sql(model, path, quote) for path in paths]
        else:  # the roots, their owners' versions in the log, then what no owner has
            parts = [
                "array_to_string(ARRAY(SELECT id FROM root ORDER BY id), ',')",
                _changes_sql(model, self.owner_path, self.log, quote),
                *(_versions_sql(model, path, quote) for path in self._paths()),
            ]
        # Every name in the SQL is the ORM's or the models'; values are parameters.
        sql = (
            f"WITH root(id) AS MATERIALIZED ({root_sql}) SELECT concat_ws('|', {', '.join(parts)})"
        )
        return sql, slots

    def _paths(self) -> list[list[str]]:
        return [path.split("__") for path in self.paths]

    def _roots_sql(self, kinds: tuple[type, ...]) -> tuple[type[Model], str, list[Slot]]:
        """
        The roots' SQL, compiled twice with different stand-ins for the arguments: a value
        that differs between the two yet is no argument (the clock, say) would be frozen
        into the SQL, so it is refused.
        """
        assert self.roots is not None
        compiled = []
        for run in (0, 1):
            sentinels = [_sentinel(kind, index, run) for index, kind in enumerate(kinds)]
            roots = self.roots(*sentinels)
            sql, params = roots.values("pk").query.get_compiler(using=roots.db).as_sql()
            compiled.append((roots.model, sql, [_slot(p, sentinels, run) for p in params]))
        (model, sql, slots), (_model, _sql, again) = compiled
        if slots != again:
            raise ImproperlyConfigured(
                f"The roots of {model.__name__} depend on more than their arguments "
                "(the time?): pass it as an argument, or list the roots' ids (versions_of)."
            )
        return model, sql, slots


def _read(sql: str, params: list[Any]) -> str | None:
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return str(cursor.fetchone()[0])


def _slot(param: Any, sentinels: list[Any], run: int) -> Slot:
    for index, sentinel in enumerate(sentinels):
        if param == sentinel:
            return ("arg", index)
    if isinstance(param, str) and "\ue000arg" in param:  # inside a pattern ("%…%")
        return ("text", param.replace(f".{run}\ue001", "\ue001"))
    return ("value", param)


def _fill(slot: Slot, args: tuple[Any, ...]) -> Any:
    kind, value = slot
    if kind == "arg":
        return args[value]
    if kind == "text":
        for index, arg in enumerate(args):
            value = value.replace(f"\ue000arg{index}\ue001", str(arg))
    return value


def owned_paths(model: type[Model], depth: int) -> list[tuple[str, ...]]:
    """
    Paths to every model with a foreign key to ``model``, and to theirs, ``depth`` steps
    down (an order's lines, its cancellations and their lines), each model once.
    """
    found: set[type[Model]] = {model}
    paths: list[tuple[str, ...]] = []
    level: list[tuple[type[Model], tuple[str, ...]]] = [(model, ())]
    for _step in range(depth):
        below = []
        for parent, path in level:
            for relation in parent._meta.related_objects:
                child = relation.related_model
                if child in found or not relation.field.concrete:
                    continue
                found.add(child)
                below.append((child, (*path, relation.name)))
        paths.extend(path for _child, path in below)
        level = below
    return paths


def _changes_sql(
    model: type[Model], owner_path: str, log: "ChangeLog", quote: Callable[[str], str]
) -> str:
    """
    ``owner_id:version`` of each owner the roots lead to along ``owner_path`` (empty when
    the roots are the owners), from the change log (core.changelog).
    """
    tracked = {source for source, _path in log.sources()}
    if model not in tracked:
        raise ImproperlyConfigured(f"{log.owner.__name__}'s change log misses {model.__name__}")
    ids = "ARRAY(SELECT id FROM root)"
    for name in owner_path.split("__") if owner_path else ():
        model, ids = _step(model, name, ids, quote)
    if model is not log.owner:
        raise ImproperlyConfigured(
            f"{owner_path!r} leads to {model.__name__}, not {log.owner.__name__}"
        )
    version = log.version_sql(quote, kind=int(log.kind), owner="o")
    pairs = f"coalesce(string_agg(o::text || ':' || {version}::text, ',' ORDER BY o), '')"
    return f"(SELECT {pairs} FROM unnest({ids}) o)"  # noqa: S608


def pk_column(model: type[Model]) -> str:
    return str(model._meta.pk.column)


def _versions_sql(model: type[Model], path: Sequence[str], quote: Callable[[str], str]) -> str:
    """
    The ``id:xmin(ctid)`` list of the rows ``path`` leads to from the roots, as a subquery.
    Each step's ids are an array computed once (``= ANY(ARRAY(…))``), so every table is
    one index scan and PostgreSQL plans no joins: planning, not reading, was the cost.
    """
    ids = "ARRAY(SELECT id FROM root)"  # of model's primary keys
    for name in path[:-1]:
        model, ids = _step(model, name, ids, quote)
    column = pk_column(model)
    if path:
        field = model._meta.get_field(path[-1])
        if isinstance(field, ForeignObjectRel):  # the last rows point at these: filter by it
            model, column = related_model(field), str(field.field.column)
        else:
            model, ids = _step(model, path[-1], ids, quote)
            column = pk_column(model)
    table, pk = quote(model._meta.db_table), quote(pk_column(model))
    pair = f"r.{pk}::text || ':' || r.xmin::text || r.ctid::text"
    versions = f"coalesce(string_agg({pair}, ',' ORDER BY r.{pk}), '')"
    return f"(SELECT {versions} FROM {table} r WHERE r.{quote(column)} = ANY({ids}))"  # noqa: S608


def related_model(field: Any) -> type[Model]:
    model = field.related_model
    assert isinstance(model, type), f"{field} leads to no model"
    return model


def _step(
    model: type[Model], name: str, ids: str, quote: Callable[[str], str]
) -> tuple[type[Model], str]:
    """From ``model``'s rows (``ids``) along relation ``name``: the next model and its ids."""
    field = model._meta.get_field(name)
    target = related_model(field)
    if isinstance(field, ForeignObjectRel):  # a model whose foreign key points here
        table, wanted, key = target._meta.db_table, pk_column(target), str(field.field.column)
    else:  # a foreign key of this model
        table, wanted, key = model._meta.db_table, str(field.column), pk_column(model)
    select = f"SELECT m.{quote(wanted)} FROM {quote(table)} m"  # noqa: S608
    return target, f"ARRAY({select} WHERE m.{quote(key)} = ANY({ids}))"
