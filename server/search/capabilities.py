"""What the CapabilityStatement says about search on a type: read from the definitions."""

from __future__ import annotations

from typing import Any

from server.search.definitions import reference_params_to, search_params


def search_capabilities(resource_type: str) -> dict[str, Any]:
    """``searchParam``, ``searchInclude`` and ``searchRevInclude`` of one held type.

    Parameters the server does not implement (``_text``, ``_content``, ``_filter``,
    ``near``, ...) are absent, so a request using them is answered 400.
    """
    params = search_params(resource_type)
    references = sorted(code for code, p in params.items() if p.type == "reference")
    revincludes = sorted(
        f"{source}:{code}"
        for source, codes in reference_params_to(resource_type).items()
        for code in codes
    )
    return {
        "searchInclude": ["*", *(f"{resource_type}:{code}" for code in references)],
        "searchRevInclude": ["*", *revincludes],
        "searchParam": [
            {
                "name": code,
                "definition": param.url,
                "type": param.type,
                "documentation": param.description,
            }
            for code, param in sorted(params.items())
        ],
    }
