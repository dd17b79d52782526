"""The console's page modules. To add one: write ``server/console/pages/<name>.py`` with
``ROUTES`` (``PageRoute``s) and ``NAV`` (``NavItem``s), then add it to ``MODULES``."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

from server.console.page import NavItem, PageRoute
from server.console.pages import (
    browse,
    chart,
    front_desk,
    hl7_workbench,
    home,
    records_desk,
    resource,
    sign_in,
)

MODULES: tuple[ModuleType, ...] = (
    home,
    sign_in,
    browse,
    hl7_workbench,
    records_desk,
    chart,
    front_desk,
    # Last: /console/{Type}/{id} is the most general of the console's paths.
    resource,
)


def routes() -> Iterator[PageRoute]:
    for module in MODULES:
        yield from module.ROUTES


def nav() -> Iterator[NavItem]:
    for module in MODULES:
        yield from getattr(module, "NAV", ())
