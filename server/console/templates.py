"""The console's Jinja2 environment: its template folders, filters and globals.

Templates live in ``server/console/templates`` (the layout, the core pages, the readable
views in ``readable/``) and ``server/console/pages/templates`` (the pages added by
``server/console/pages``). Autoescaping is on for every template.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape

from server.console import readable

HERE: Final = Path(__file__).parent
TEMPLATE_DIRS: Final = (HERE / "templates", HERE / "pages" / "templates")


def pretty_json(value: Any) -> str:
    """``value`` as indented JSON, keys in the resource's own order."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(path) for path in TEMPLATE_DIRS]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["pretty_json"] = pretty_json
    env.filters["human_name"] = readable.human_name
    env.filters["codeable"] = readable.codeable
    env.filters["reference_href"] = readable.reference_href
    env.filters["money"] = readable.money
    env.filters["when"] = readable.when

    env.filters["fields"] = readable.fields
    env.filters["headline"] = readable.headline
    env.filters["duration_minutes"] = readable.duration_minutes
    env.filters["lines_total"] = readable.lines_total
    return env
