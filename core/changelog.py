"""
A change log kept by the database, the page cache's versions (docs/DESIGN.md §13): each
time a statement changes anything that belongs to an owner (an order and its lines,
events, cancellations, money rows...), a trigger appends a row for the owner and for each
of its parties (the order's buyer and seller). The sum of an owner's weights is its
version; a page about an order, a buyer's list or a seller's queue is keyed by it.

- **Whoever writes.** Statement-level triggers read the statement's transition table, so
  a service, the sweep's bulk statements, the outbox settling money and a migration are
  all counted: one INSERT a statement.
- **No locks.** The log is only appended to: a writer takes no lock on the owner, and no
  lock order can deadlock with the sweep's.
- **A sum, not the highest id.** Ids are handed out in one order and committed in
  another, so a change committed late can carry a lower id than one already seen; every
  committed row adds its weight to the sum.
- **Compacted.** ``compact`` folds an owner's rows into one row of their summed weight in
  one statement, so a reader sees the same sum before and after, and a seller with 50,000
  orders reads a few rows, not a row per change.

The triggers are written from the models after each ``migrate`` (``install``, from a
``post_migrate`` receiver), so a table that belongs to the owner and lands later is covered
without a migration of its own. PostgreSQL only: the page cache is off elsewhere.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import ForeignObjectRel, Model

from core.rowversions import pk_column, related_model

Quote = Callable[[str], str]
# The transition tables each event's trigger reads (``_rows``: an update's old rows too).
EVENTS = {
    "INSERT": "NEW TABLE AS changed",
    "UPDATE": "OLD TABLE AS before NEW TABLE AS changed",
    "DELETE": "OLD TABLE AS changed",
}


@dataclass(frozen=True)
class ChangeLog:
    """
    The log ``model`` (columns ``kind``, ``owner_id``, ``weight``) of ``owner``'s changes:
    rows of kind ``kinds[None]`` for the owner, and ``kinds[column]`` for the party the
    owner's ``column`` names (``{"buyer_id": 2, "seller_id": 3}``).
    """

    model: type[Model]
    owner: type[Model]
    tracked: Callable[[], Sequence[tuple[str, ...]]]  # paths from the owner to its tables
    kinds: dict[str | None, int] = field(default_factory=lambda: {None: 1})

    @property
    def kind(self) -> int:
        return self.kinds[None]

    def sources(self) -> list[tuple[type[Model], tuple[str, ...]]]:
        """Each tracked model, the owner first, with its path from the owner."""
        found: list[tuple[type[Model], tuple[str, ...]]] = [(self.owner, ())]
        for path in self.tracked():
            model = self.owner
            for name in path:
                model = related_model(model._meta.get_field(name))
            found.append((model, tuple(path)))
        return found

    def version(self, kind: int, owner_id: int, using: str = "default") -> int | None:
        """An owner's or a party's version; None where no log is kept (SQLite)."""
        connection = connections[using]
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute(self.version_sql(connection.ops.quote_name), [kind, owner_id])
            return int(cursor.fetchone()[0])

    def version_sql(self, quote: Quote, kind: int | str = "%s", owner: str = "%s") -> str:
        """The sum of the weights of ``kind`` and ``owner`` (SQL: parameters by default)."""
        table = quote(self.model._meta.db_table)
        return (
            f"(SELECT coalesce(sum(c.weight), 0) FROM {table} c "  # noqa: S608 (names)
            f"WHERE c.kind = {kind} AND c.owner_id = {owner})"
        )


def install(log: ChangeLog, using: str = "default") -> list[str]:
    """(Re)writes the log's triggers on every tracked table there is; the tables' names."""
    quote = connections[using].ops.quote_name
    triggers = {model: trigger_sql(log, model, path, quote) for model, path in log.sources()}
    return run(log, triggers, using)


def compact(log: ChangeLog, more_than: int = 1, using: str = "default") -> int:
    """
    Folds the rows of each owner with more than ``more_than`` into one (by default, of each
    owner that changed since the last run: the log keeps a row an owner), in one statement:
    a reader sees the same sums before and after, a row committed meanwhile is left as it
    is, and two compactions at once each fold only the rows they deleted. The rows gone.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    table = connection.ops.quote_name(log.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH crowded AS (SELECT kind, owner_id FROM {table} "  # noqa: S608 (names)
            "GROUP BY kind, owner_id HAVING count(*) > %s), "
            f"gone AS (DELETE FROM {table} l USING crowded c "
            "WHERE l.kind = c.kind AND l.owner_id = c.owner_id "
            "RETURNING l.kind, l.owner_id, l.weight), "
            f"folded AS (INSERT INTO {table} (kind, owner_id, weight) "
            "SELECT kind, owner_id, sum(weight) FROM gone GROUP BY kind, owner_id RETURNING 1) "
            "SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM folded)",
            [more_than],
        )
        return int(cursor.fetchone()[0])


def trigger_sql(log: ChangeLog, model: type[Model], path: Sequence[str], quote: Quote) -> list[str]:
    """For each event, the function appending ``model``'s changes to the log, its trigger."""
    owner_table, owner_pk = quote(log.owner._meta.db_table), quote(pk_column(log.owner))
    owner_id, joins = _owner_id(log.owner, path, quote)
    values = ", ".join(
        f"({kind}, o.{quote(column) if column else owner_pk})" for column, kind in log.kinds.items()
    )
    statements = []
    for event in EVENTS:
        if path:
            rows = f"{_rows(event)} changed {' '.join(joins)}"
            owners = f"SELECT DISTINCT {owner_id} AS id FROM {rows}"  # noqa: S608
            found = f"({owners}) c JOIN {owner_table} o ON o.{owner_pk} = c.id"
        else:  # the owner's own rows name its parties: no join (a deleted order too)
            found = f"{_rows(event)} o"
        insert = (
            f"INSERT INTO {quote(log.model._meta.db_table)} (kind, owner_id) "  # noqa: S608
            f"SELECT DISTINCT k.kind, k.owner_id FROM {found} "
            f"CROSS JOIN LATERAL (VALUES {values}) AS k(kind, owner_id) "
            "WHERE k.owner_id IS NOT NULL"
        )
        statements += _trigger(model, "", event, insert, quote)
    return statements


def any_change_sql(
    log: ChangeLog,
    model: type[Model],
    *,
    kind: int,
    name: str,
    quote: Quote,
    owner: str | None = None,
    via: tuple[type[Model], str, str] | None = None,
    columns: Sequence[str] = (),
) -> list[str]:
    """
    Triggers appending a row of ``kind`` for each statement that changes ``model``'s rows,
    for the owner each changed row names in its column ``owner`` (a listing's seller); or
    found through another table, ``via`` = (its model, its column naming the changed row,
    its column naming the owner: a buyer renamed, the sellers of their orders); or owner 0
    without either (one version for all). With ``columns``, only updates that change one
    of them count (a list showing a name, not a login time).
    """
    pk, owner_id, join = quote(pk_column(model)), (f"n.{quote(owner)}" if owner else "0"), ""
    if via:
        through, to_row, to_owner = via
        owner_id = f"o.{quote(to_owner)}"
        join = f"JOIN {quote(through._meta.db_table)} o ON o.{quote(to_row)} = n.{pk}"
    statements = []
    for event in ("UPDATE",) if columns else EVENTS:
        rows, where = f"{_rows(event)} n {join}", f"{owner_id} IS NOT NULL"
        if columns:
            rows = f"changed n JOIN before b ON b.{pk} = n.{pk} {join}"
            differs = " OR ".join(f"n.{quote(c)} IS DISTINCT FROM b.{quote(c)}" for c in columns)
            where += f" AND ({differs})"
        insert = (
            f"INSERT INTO {quote(log.model._meta.db_table)} (kind, owner_id) "  # noqa: S608
            f"SELECT DISTINCT {int(kind)}, {owner_id} FROM {rows} WHERE {where}"
        )
        statements += _trigger(model, name, event, insert, quote)
    return statements


def run(
    log: ChangeLog, triggers: dict[type[Model], list[str]], using: str = "default"
) -> list[str]:
    """
    Each model's triggers' SQL, on PostgreSQL (the page cache is off elsewhere), where the
    model's table and the log's are there (a migrate back to before them has neither);
    the tables written to.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    existing = set(connection.introspection.table_names())
    written = []
    with connection.cursor() as cursor:
        for model, statements in triggers.items():
            if {model._meta.db_table, log.model._meta.db_table} <= existing:
                for statement in statements:
                    cursor.execute(statement)
                written.append(model._meta.db_table)
    return written


def _rows(event: str) -> str:
    """The rows a trigger of ``event`` reads: an update's old and new ones."""
    if event == "UPDATE":  # a row moved from one owner to another counts for both
        return "(SELECT * FROM changed UNION ALL SELECT * FROM before)"
    return "changed"


def _trigger(model: type[Model], name: str, event: str, insert: str, quote: Quote) -> list[str]:
    """The function running ``insert`` for each ``event`` statement on ``model``, its trigger."""
    table, suffix = model._meta.db_table, f"{name}_{event}".lower() if name else event.lower()
    function = quote(f"changelog_{table}_{suffix}")
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {insert}; RETURN NULL; END $$",
        f"CREATE OR REPLACE TRIGGER {quote(f'changelog_{suffix}')} "
        f"AFTER {event} ON {quote(table)} REFERENCING {EVENTS[event]} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def _owner_id(owner: type[Model], path: Sequence[str], quote: Quote) -> tuple[str, list[str]]:
    """
    The owner's id for a changed row at the end of ``path``, and the joins back to it:
    a foreign key to the parent is read as it is, a parent's key to this row is joined.
    """
    models = [owner]
    for name in path:
        models.append(related_model(models[-1]._meta.get_field(name)))
    alias, joins = "changed", list[str]()
    for step in range(len(path) - 1, -1, -1):
        parent = models[step]
        relation = parent._meta.get_field(path[step])
        parent_table, parent_pk = quote(parent._meta.db_table), quote(pk_column(parent))
        if isinstance(relation, ForeignObjectRel):  # this row's foreign key names the parent
            key = f"{alias}.{quote(str(relation.field.column))}"
            if step == 0:
                return key, joins
            joins.append(f"JOIN {parent_table} p{step} ON p{step}.{parent_pk} = {key}")
        else:  # the parent's foreign key names this row
            child_pk = quote(pk_column(models[step + 1]))
            column = quote(str(relation.column))
            joins.append(f"JOIN {parent_table} p{step} ON p{step}.{column} = {alias}.{child_pk}")
        alias = f"p{step}"
    return f"{alias}.{quote(pk_column(owner))}", joins
