"""What a user's authorization of an app grants, and how the approval page explains it.

An app asks for scopes; it may get those its registration covers (the identity and
launch scopes by name, resource scopes by ``server.auth.clients.covers``), and of those
what the signed-in user can give: a Practitioner ``user/`` scopes, and ``patient/``
scopes once a patient is in context (launched or picked); a Patient only ``patient/``
scopes, always for their own record. ``system/`` scopes are never given to a user's
app: they speak for no one.
"""

from __future__ import annotations

from server.auth.clients import APP_SCOPES, covers
from server.auth.scopes import Context, Scope, parse_scope, parse_scopes

_LETTERS = {"c": "create", "r": "read", "u": "update", "d": "delete", "s": "search"}
_EXPLAINED = {
    "launch": "Know which patient's record was open when you launched the app.",
    "launch/patient": "Ask you to choose a patient, and know whom you chose.",
    "openid": "Confirm who you are.",
    "fhirUser": "Know your own record (the Practitioner or Patient resource you are).",
    "profile": "Know your name.",
    "offline_access": "Keep its access after you close it, until the access is revoked.",
    "online_access": "Keep its access while you stay signed in.",
}


def registered_part(requested: str, registered: str) -> list[str]:
    """The requested scopes the app's registration covers, each once, as the app wrote them."""
    own = set(registered.split())
    covering = parse_scopes(registered)
    kept: list[str] = []
    for raw in dict.fromkeys(requested.split()):
        if raw in APP_SCOPES:
            if raw in own:
                kept.append(raw)
            continue
        wanted = parse_scope(raw)
        if wanted is None or wanted.context is Context.SYSTEM:
            continue
        if any(covers(scope, wanted) for scope in covering):
            kept.append(raw)
    return kept


def user_part(scopes: list[str], user_type: str, *, has_patient: bool) -> list[str]:
    """Of an app's allowed scopes, those a user of ``user_type`` gives it."""
    kept: list[str] = []
    for raw in scopes:
        parsed = parse_scope(raw)
        if (
            parsed is None
            or (parsed.context is Context.USER and user_type == "Practitioner")
            or (parsed.context is Context.PATIENT and has_patient)
        ):
            kept.append(raw)
    return kept


def explain(raw: str, *, own_record: bool = False) -> str:
    """A plain sentence for the approval page: what granting ``raw`` lets the app do."""
    explained = _EXPLAINED.get(raw)
    if explained is not None:
        return explained
    parsed = parse_scope(raw)
    if parsed is None:
        return "Not a scope this server knows; it grants nothing."
    return _explain_resource(parsed, own_record)


def _explain_resource(scope: Scope, own_record: bool) -> str:
    verbs = [_LETTERS[letter] for letter in scope.letters]
    listed = ", ".join(verbs[:-1]) + " and " + verbs[-1] if len(verbs) > 1 else verbs[0]
    what = "every kind of record" if scope.resource_type is None else f"{scope.resource_type}"
    if scope.context is Context.PATIENT:
        whose = "in your own record" if own_record else "in the chosen patient's record"
    elif scope.context is Context.USER:
        whose = "that you may see"
    else:
        whose = "of every patient"
    sentence = f"{listed.capitalize()} {what} {whose}"
    if scope.criteria:
        matching = "&".join(f"{name}={value}" for name, value in scope.criteria)
        sentence += f", only where {matching}"
    return sentence + "."
