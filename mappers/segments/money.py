"""CP/MO (price, money) to FHIR Money."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from mappers.components import Rep, comp
from mappers.context import MapContext
from mappers.numbers import decimal, json_number
from mappers.rules import maps_components

_CURRENCY = re.compile(r"^[A-Z]{3}$")


@maps_components(1)
def cp_money(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
    """Map CP (MO.1 amount & MO.2 currency in component 1) to Money."""
    amount = comp(rep, 1, 1)
    if not amount:
        return None
    value = decimal(amount)
    if value is None:
        ctx.warn(f"amount {amount!r} is not a number; left out")
        return None
    money: dict[str, Any] = {"value": json_number(value)}
    currency = comp(rep, 1, 2).upper()
    if _CURRENCY.match(currency):
        money["currency"] = currency
    return money


def total(amounts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Return the sum of Money values in one currency, None when they mix currencies."""
    currencies = {m.get("currency") for m in amounts}
    if not amounts or len(currencies) != 1:
        return None
    summed = sum((Decimal(str(m["value"])) for m in amounts), Decimal(0))
    money: dict[str, Any] = {"value": json_number(summed)}
    currency = currencies.pop()
    if currency:
        money["currency"] = currency
    return money
