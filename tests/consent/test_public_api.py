"""The package's public surface is what ``__all__`` lists."""

from __future__ import annotations

import server.consent


def test_public_names_resolve_and_are_listed_once_in_order() -> None:
    names = server.consent.__all__

    assert names == sorted(set(names))
    assert all(getattr(server.consent, name) is not None for name in names)
