"""
The Shop's full-text search index (docs/DESIGN.md §18), on PostgreSQL only.

A GIN index on the very expression ``catalog.selectors.search_vector()`` compiles to (the
title weighted A, the description B, the "english" configuration), so the planner uses it
for ``WHERE <vector> @@ websearch_to_tsquery(...)`` (tests/catalog/test_selectors.py checks
the plan). It is not a ``GinIndex`` in the model's Meta: that would be created on SQLite
too, which has neither GIN nor to_tsvector, so this migration does nothing there.
"""

from django.db import migrations

INDEX = "listing_search_idx"
EXPRESSION = (
    "setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(description, '')), 'B')"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_listing USING gin (({EXPRESSION}))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_stores_categories_photos"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
