"""GA4 BigQuery exports (``format: ga4``, JSON lines or Parquet) → a flat events table in DuckDB.

The export has one row per event with nested fields (``event_params``, ``user_properties``,
``device``, ``geo``, ``traffic_source``, ``ecommerce``, ``items``). The flat table has these
columns, in this order:

=====================  ==============================================================
``event_timestamp``    TIMESTAMPTZ from the export's microseconds (UTC). The spec says
                       ``time: event_timestamp`` for a GA4 source, so the time column
                       keeps the export's name but becomes a timestamp.
``event_time``         the same instant, under a clearer name
``event_date``         DATE from the export's ``YYYYMMDD`` text (GA4's reporting day)
``event_name``, ``user_pseudo_id``, ``user_id``
``device_category``, ``device_os``, ``country``, ``region``, ``city``
``traffic_source``, ``traffic_medium``, ``traffic_name``   (first-touch, from ``traffic_source``)
``transaction_id``, ``purchase_revenue``                    (from ``ecommerce``)
``item_count``         number of entries in ``items`` (0 when none)
params                 each ``ga4.params`` entry as a column of its declared type
``user_<name>``        each ``ga4.user_properties`` entry likewise
``item_*``             with ``ga4.items: true``: one row per item (events without items
                       keep one row with NULL items): item_id, item_name, item_brand,
                       item_variant, item_category, item_price, item_quantity, item_revenue
=====================  ==============================================================

A param's value is taken from the field of its type, then from the others converted:
``string`` ← string_value, int_value, double_value, float_value; ``int`` ← int_value, then
double/float/string values that convert; ``float`` and ``double`` (both DOUBLE) ← double_value,
float_value, int_value, then a string that converts. Param names come from the user: they must
be identifiers, and are quoted as column names and as string literals.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from northstar.errors import DataError
from northstar.sources.files import file_list
from northstar.sources.identifiers import is_identifier, quote_ident, quote_literal
from northstar.sources.locate import FileSet, shown_path
from northstar.sources.publish import first_line, publish
from northstar.spec.models import Ga4Options, Source

_VALUE = "STRUCT(string_value VARCHAR, int_value BIGINT, float_value DOUBLE, double_value DOUBLE)"
# The export's schema, as far as the flat table needs it (JSON lines are read with exactly this).
EXPORT_COLUMNS: dict[str, str] = {
    "event_date": "VARCHAR",
    "event_timestamp": "BIGINT",
    "event_name": "VARCHAR",
    "event_params": f"STRUCT(key VARCHAR, value {_VALUE})[]",
    "user_id": "VARCHAR",
    "user_pseudo_id": "VARCHAR",
    "user_properties": f"STRUCT(key VARCHAR, value {_VALUE})[]",
    "device": "STRUCT(category VARCHAR, operating_system VARCHAR)",
    "geo": "STRUCT(country VARCHAR, region VARCHAR, city VARCHAR)",
    "traffic_source": "STRUCT(name VARCHAR, medium VARCHAR, source VARCHAR)",
    "ecommerce": "STRUCT(transaction_id VARCHAR, purchase_revenue DOUBLE)",
    "items": (
        "STRUCT(item_id VARCHAR, item_name VARCHAR, item_brand VARCHAR, item_variant VARCHAR, "
        "item_category VARCHAR, price DOUBLE, quantity BIGINT, item_revenue DOUBLE)[]"
    ),
}
# (output column, path in the export, SQL type)
EVENT_FIELDS = (
    ("event_name", "event_name", "VARCHAR"),
    ("user_pseudo_id", "user_pseudo_id", "VARCHAR"),
    ("user_id", "user_id", "VARCHAR"),
    ("device_category", "device.category", "VARCHAR"),
    ("device_os", "device.operating_system", "VARCHAR"),
    ("country", "geo.country", "VARCHAR"),
    ("region", "geo.region", "VARCHAR"),
    ("city", "geo.city", "VARCHAR"),
    ("traffic_source", "traffic_source.source", "VARCHAR"),
    ("traffic_medium", "traffic_source.medium", "VARCHAR"),
    ("traffic_name", "traffic_source.name", "VARCHAR"),
    ("transaction_id", "ecommerce.transaction_id", "VARCHAR"),
    ("purchase_revenue", "ecommerce.purchase_revenue", "DOUBLE"),
)
ITEM_FIELDS = (
    ("item_id", "item_id", "VARCHAR"),
    ("item_name", "item_name", "VARCHAR"),
    ("item_brand", "item_brand", "VARCHAR"),
    ("item_variant", "item_variant", "VARCHAR"),
    ("item_category", "item_category", "VARCHAR"),
    ("item_price", "price", "DOUBLE"),
    ("item_quantity", "quantity", "BIGINT"),
    ("item_revenue", "item_revenue", "DOUBLE"),
)
BASE_COLUMNS = ("event_timestamp", "event_time", "event_date", *(f[0] for f in EVENT_FIELDS), "item_count")
PARAM_TYPES = {"string": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "double": "DOUBLE"}


def param_columns(options: Ga4Options, where: str) -> list[tuple[str, str, str, str]]:
    """(column, list field, key, type) for each lifted param and user property; names checked."""
    taken = set(BASE_COLUMNS) | ({f[0] for f in ITEM_FIELDS} if options.items else set())
    out: list[tuple[str, str, str, str]] = []
    lifted = [("event_params", k, k, t) for k, t in options.params.items()]
    lifted += [("user_properties", f"user_{k}", k, t) for k, t in options.user_properties.items()]
    for field, column, key, kind in lifted:
        if not is_identifier(key):
            raise DataError(
                f"{where}: ga4 param {key!r} is not a valid name; "
                "use letters, digits and _ (e.g. page_location)"
            )
        if column in taken:
            raise DataError(
                f"{where}: ga4 param {key!r} would become column {column!r}, which already exists"
            )
        taken.add(column)
        out.append((column, field, key, kind))
    return out


def _path(path: str) -> str:
    return ".".join(quote_ident(p) for p in path.split("."))


def _param_value(field: str, key: str, kind: str) -> str:
    v = f"list_filter({quote_ident(field)}, lambda p: p.key = {quote_literal(key)})[1].value"
    s, i, f, d = (f"{v}.string_value", f"{v}.int_value", f"{v}.float_value", f"{v}.double_value")
    if kind == "string":
        return f"coalesce({s}, CAST({i} AS VARCHAR), CAST({d} AS VARCHAR), CAST({f} AS VARCHAR))"
    if kind == "int":
        return f"coalesce({i}, TRY_CAST({d} AS BIGINT), TRY_CAST({f} AS BIGINT), TRY_CAST({s} AS BIGINT))"
    return f"coalesce({d}, {f}, CAST({i} AS DOUBLE), TRY_CAST({s} AS DOUBLE))"


def flatten_sql(from_sql: str, options: Ga4Options, where: str) -> str:
    """The SELECT turning export rows (``from_sql`` has the export's columns) into flat rows."""
    micros = 'make_timestamptz(CAST("event_timestamp" AS BIGINT))'
    cols = [
        f"{micros} AS event_timestamp",
        f"{micros} AS event_time",
        "CAST(try_strptime(\"event_date\", '%Y%m%d') AS DATE) AS event_date",
    ]
    cols += [f"CAST({_path(path)} AS {t}) AS {quote_ident(name)}" for name, path, t in EVENT_FIELDS]
    cols.append('coalesce(len("items"), 0) AS item_count')
    for column, field, key, kind in param_columns(options, where):
        cols.append(f"CAST({_param_value(field, key, kind)} AS {PARAM_TYPES[kind]}) AS {quote_ident(column)}")
    joins = ""
    if options.items:
        item = '"items"[ns_item.i + 1]'
        cols += [
            f"CAST({item}.{quote_ident(path)} AS {t}) AS {quote_ident(name)}" for name, path, t in ITEM_FIELDS
        ]
        joins = ' CROSS JOIN LATERAL range(greatest(coalesce(len("items"), 0), 1)) AS ns_item(i)'
    return f"(SELECT {', '.join(cols)} FROM {from_sql} AS ns_export{joins})"


def export_sql(con: duckdb.DuckDBPyConnection, fs: FileSet, where: str) -> str:
    """The export's rows with every column and field the flat table needs (missing ones NULL)."""
    if fs.ga4_storage == "jsonl":
        columns = (
            "{"
            + ", ".join(f"{quote_literal(k)}: {quote_literal(v)}" for k, v in EXPORT_COLUMNS.items())
            + "}"
        )
        return f"read_json({file_list(fs)}, format='newline_delimited', columns={columns})"
    raw = f"read_parquet({file_list(fs)}, union_by_name=true)"
    try:
        present = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {raw}").fetchall()}
    except duckdb.Error as e:
        raise DataError(f"{where}: cannot be read: {first_line(e)}") from None
    if "event_timestamp" not in present:
        raise DataError(f"{where}: is not a GA4 export: it has no event_timestamp column")
    # Cast each column to the export schema by name; columns the files lack become NULL.
    cols = []
    for name, sql_type in EXPORT_COLUMNS.items():
        if name in present:
            cols.append(f"TRY_CAST({quote_ident(name)} AS {sql_type}) AS {quote_ident(name)}")
        else:
            cols.append(f"CAST(NULL AS {sql_type}) AS {quote_ident(name)}")
    return f"(SELECT {', '.join(cols)} FROM {raw})"


def register_ga4(
    con: duckdb.DuckDBPyConnection, rel_name: str, fs: FileSet, source: Source, base_dir: Path
) -> None:
    where = shown_path(fs.files[0], base_dir) if len(fs.files) == 1 else fs.pattern
    sql = flatten_sql(export_sql(con, fs, where), source.ga4 or Ga4Options(), where)
    publish(con, rel_name, sql, source.time, where)
