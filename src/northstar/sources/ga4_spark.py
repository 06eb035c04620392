"""GA4 BigQuery exports flattened with Spark functions: the table :mod:`northstar.sources.ga4`
documents, column for column, with ``event_timestamp``/``event_time`` as ``TimestampType`` (UTC
instants from the export's microseconds) and ``event_date`` as ``DateType``.

JSON lines are read with the export schema in which every number is a string (``bq extract``
writes INT64 as JSON strings; Spark keeps JSON numbers as text in string fields), then cast.
Parquet is read with its own schema; fields it lacks become NULL. Casts use ``try_cast`` and
arrays ``try_element_at``, so Spark's ANSI mode never fails on a missing param.
"""

from __future__ import annotations

from typing import Any

from northstar.sources.ga4 import EVENT_FIELDS, ITEM_FIELDS, param_columns
from northstar.sources.locate import FileSet
from northstar.spec.models import Ga4Options, Source

_SPARK_TYPES = {"VARCHAR": "string", "DOUBLE": "double", "BIGINT": "bigint"}
_VALUE = "STRUCT<string_value: STRING, int_value: STRING, float_value: STRING, double_value: STRING>"
_JSON_SCHEMA = ", ".join(
    [
        "event_date STRING",
        "event_timestamp STRING",
        "event_name STRING",
        f"event_params ARRAY<STRUCT<key: STRING, value: {_VALUE}>>",
        "user_id STRING",
        "user_pseudo_id STRING",
        f"user_properties ARRAY<STRUCT<key: STRING, value: {_VALUE}>>",
        "device STRUCT<category: STRING, operating_system: STRING>",
        "geo STRUCT<country: STRING, region: STRING, city: STRING>",
        "traffic_source STRUCT<name: STRING, medium: STRING, source: STRING>",
        "ecommerce STRUCT<transaction_id: STRING, purchase_revenue: STRING>",
        "items ARRAY<STRUCT<item_id: STRING, item_name: STRING, item_brand: STRING, item_variant: STRING, "
        "item_category: STRING, price: STRING, quantity: STRING, item_revenue: STRING>>",
    ]
)


def ga4_dataframe(spark: Any, fs: FileSet, source: Source) -> Any:
    from pyspark.sql import functions as F

    options = source.ga4 or Ga4Options()
    files = [str(f) for f in fs.files]
    if fs.ga4_storage == "jsonl":
        df = spark.read.schema(_JSON_SCHEMA).json(files)
    else:
        df = spark.read.option("mergeSchema", "true").parquet(*files)
    schema = df.schema

    def field(path: str, sql_type: str) -> Any:
        if _has(schema, path.split(".")):
            return F.col(path).try_cast(_SPARK_TYPES[sql_type])
        return F.lit(None).cast(_SPARK_TYPES[sql_type])

    def items_field(name: str) -> Any:
        if _has(schema, ["items", name]):
            return F.col("ns_item")[name]
        return F.lit(None)

    micros = F.timestamp_micros(field("event_timestamp", "BIGINT"))
    cols = [
        micros.alias("event_timestamp"),
        micros.alias("event_time"),
        F.to_date(field("event_date", "VARCHAR"), "yyyyMMdd").alias("event_date"),
    ]
    cols += [field(path, t).alias(name) for name, path, t in EVENT_FIELDS]
    has_items = _has(schema, ["items"])
    cols.append(
        (F.coalesce(F.size("items"), F.lit(0)) if has_items else F.lit(0)).cast("int").alias("item_count")
    )
    for column, list_field, key, kind in param_columns(options, fs.pattern):
        cols.append(_param(schema, list_field, key, kind).alias(column))
    if options.items:
        if has_items:
            df = df.withColumn("ns_item", F.explode_outer(F.when(F.size("items") > 0, F.col("items"))))
        cols += [items_field(path).try_cast(_SPARK_TYPES[t]).alias(name) for name, path, t in ITEM_FIELDS]
    return df.select(*cols)


def _param(schema: Any, list_field: str, key: str, kind: str) -> Any:
    from pyspark.sql import functions as F

    if not _has(schema, [list_field]):
        target = "string" if kind == "string" else ("bigint" if kind == "int" else "double")
        return F.lit(None).cast(target)
    entry = F.try_element_at(F.filter(F.col(list_field), lambda p: p["key"] == F.lit(key)), F.lit(1))
    value = entry["value"]

    def part(name: str, target: str) -> Any:
        if _has(schema, [list_field, "value", name]):
            return value[name].try_cast(target)
        return F.lit(None).cast(target)

    s, i = part("string_value", "string"), part("int_value", "bigint")
    f, d = part("float_value", "double"), part("double_value", "double")
    if kind == "string":
        return F.coalesce(s, i.cast("string"), d.cast("string"), f.cast("string"))
    if kind == "int":
        return F.coalesce(i, d.try_cast("bigint"), f.try_cast("bigint"), s.try_cast("bigint"))
    return F.coalesce(d, f, i.cast("double"), s.try_cast("double"))


def _has(schema: Any, path: list[str]) -> bool:
    """Whether a (possibly nested, through arrays of structs) field exists in a Spark schema."""
    from pyspark.sql.types import ArrayType, StructType

    current = schema
    for name in path:
        while isinstance(current, ArrayType):
            current = current.elementType
        if not isinstance(current, StructType) or name not in current.fieldNames():
            return False
        current = current[name].dataType
    return True
