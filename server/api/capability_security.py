"""The CapabilityStatement's access control: ``rest.security`` and each operation's scopes.

With ``--auth smart`` the security names the SMART-on-FHIR service and carries the
``oauth-uris`` extension with the token endpoint (SMART App Launch 2.x, conformance);
with ``--auth none`` its description says the server is unsecured. Every operation's
documentation ends with the scopes it needs (server.auth.operations).
"""

from __future__ import annotations

from typing import Any

from server.api.routes_auth import TOKEN_PATH
from server.auth.issuers import server_root
from server.auth.operations import operation_needs

SERVICE_SYSTEM = "http://terminology.hl7.org/CodeSystem/restful-security-service"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def with_security(statement: dict[str, Any], base: str, *, secured: bool) -> dict[str, Any]:
    """``statement`` with ``rest.security`` and the operations' scope needs added."""
    rest = statement["rest"][0]
    rest["security"] = security(base) if secured else unsecured()
    needs = operation_needs()
    operations = [*rest.get("operation", ())]
    for resource in rest.get("resource", ()):
        operations += resource.get("operation", ())
    for operation in operations:
        need = needs.get(operation["name"])
        if need is not None and secured:
            documentation = operation.get("documentation", "")
            operation["documentation"] = f"{documentation} {need.describe()}".strip()
    return statement


def security(base: str) -> dict[str, Any]:
    return {
        "extension": [
            {
                "url": OAUTH_URIS,
                "extension": [{"url": "token", "valueUri": server_root(base) + TOKEN_PATH}],
            }
        ],
        "service": [
            {
                "coding": [{"system": SERVICE_SYSTEM, "code": "SMART-on-FHIR"}],
                "text": "OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)",
            }
        ],
        "description": (
            "Every request but GET /metadata and the SMART configuration needs an OAuth 2.0 "
            "bearer token (RFC 6750) from the built-in SMART Backend Services token endpoint "
            "or a trusted external authorization server. SMART App Launch 2.x scopes, v1 and "
            "v2 syntax, with granular criteria: patient/ scopes confine everything to the "
            "token's patient's compartment. 401: no or refused token; 403: the scopes do not "
            "allow the interaction; 404: the resource is outside what the token may see."
        ),
    }


def unsecured() -> dict[str, Any]:
    return {
        "description": (
            "This server is unsecured (--auth none): no access control, every request may "
            "read and change every record. It listens on loopback addresses only."
        ),
    }
