"""Reading an operation's Parameters body: named values of known kinds, errors with paths."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from server.errors import InvalidRequest


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter (or part) and where it is (``Parameters.parameter[2].part[0]``)."""

    name: str
    body: dict[str, Any]
    expression: str

    def value(self, kind: str) -> Any:
        """``value[kind]``; 400 naming the parameter if it has another kind or none."""
        value = self.body.get(f"value{kind}")
        if value is None:
            raise InvalidRequest(
                f"Parameter {self.name!r} needs a value{kind}", expression=self.expression
            )
        return value

    def parts(self) -> list[Param]:
        return _listed(self.body.get("part"), f"{self.expression}.part")


def parameters_of(body: dict[str, Any]) -> list[Param]:
    """The parameters of a Parameters resource; 400 if ``body`` is not one."""
    if body.get("resourceType") != "Parameters":
        raise InvalidRequest("The body must be a Parameters resource", expression="Parameters")
    return _listed(body.get("parameter"), "Parameters.parameter")


def named(params: list[Param], name: str) -> Iterator[Param]:
    return (p for p in params if p.name == name)


def single(params: list[Param], name: str) -> Param | None:
    """The one parameter ``name``, None if absent; 400 if repeated."""
    found = list(named(params, name))
    if len(found) > 1:
        raise InvalidRequest(f"Parameter {name!r} is repeated", expression=found[1].expression)
    return found[0] if found else None


def _listed(items: Any, where: str) -> list[Param]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise InvalidRequest(f"{where} must be an array", expression=where)
    found: list[Param] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InvalidRequest("A parameter needs a name", expression=f"{where}[{index}]")
        found.append(Param(item["name"], item, f"{where}[{index}]"))
    return found
