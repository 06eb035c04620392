"""Driver trees (``drivers:`` in ``northstar.yml``): how a metric is made of other metrics.

Each entry names a metric and says what it equals:

- ``revenue: visitors * conversion_rate * orders_per_buyer * aov`` — a formula over other
  metrics (``+ - * /``, numbers, parentheses): multiplicative, additive
  (``new_revenue + returning_revenue``) or a ratio (``purchasers / visitors``);
- ``orders: {over: channel}`` — the sum of the metric over the values of a dimension (the
  parts of an additive metric: they must not overlap and must add up to the whole).

An entry may have both, and ``influenced_by: [csat, return_rate]``: metrics believed to move this
one without an identity (support quality → repurchase); :mod:`northstar.analysis.alignment` follows
them to the north star and ``northstar validate`` tests each on history.

Entries chain into trees: a metric on the right-hand side that has an entry of its own is
decomposed further, to any depth and across teams (marketing's leads → sales' deals → revenue). :mod:`northstar.analysis.drivers` checks each identity on the data
(``northstar check``) and :mod:`northstar.analysis.explain` splits a change along the tree.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from northstar.spec.models import LocalText, Strict

__all__ = ["Driver", "DriverEntry"]


class Driver(Strict):
    """What a metric equals: ``formula`` over other metrics and/or the sum ``over`` a dimension."""

    formula: str | None = None
    over: str | None = None
    # metrics believed to move this one, without an identity; `northstar validate` tests each on history
    influenced_by: list[str] = Field(default_factory=list)
    method: Literal["auto", "shapley", "lmdi"] = "auto"
    tolerance: float = Field(default=1e-6, ge=0)  # largest relative residual that still counts as exact
    label: LocalText | None = None
    description: LocalText | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return _entry(value)


def _entry(value: Any) -> Any:
    """``revenue: visitors * conversion_rate * aov`` is shorthand for ``{formula: …}``."""
    return {"formula": value} if isinstance(value, str) else value


DriverEntry = Annotated[Driver, BeforeValidator(_entry)]
