"""Server settings: every option of ``fhirport serve`` also reads a FHIRPORT_* variable."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_STORE = "sqlite:///./data/fhirport.sqlite3"
SANDBOX_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "sandbox"

# A browser origin: a scheme, a host and perhaps a port; nothing else (no path, no "*").
_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# A comma-separated list in a FHIRPORT_* variable (as on the command line), not JSON.
CommaList = Annotated[tuple[str, ...], NoDecode]


class Settings(BaseSettings):
    """Configuration of one server process."""

    model_config = SettingsConfigDict(env_prefix="FHIRPORT_", extra="ignore")

    store: str = Field(DEFAULT_STORE, description="sqlite:///PATH, mongodb://..., or memory://")
    host: str = "127.0.0.1"
    port: int = 8080
    seed: bool = False
    max_body_bytes: int = 10 * 1024 * 1024
    base_url: str | None = Field(
        None, description="Public base URL of the FHIR API; default: scheme and allowed Host"
    )
    allowed_hosts: CommaList = Field(
        (), description="Host[:port] values answered to; default: the listening address, localhost"
    )
    forwarded_allow_ips: CommaList = Field(
        (), description="Proxies whose X-Forwarded-Proto/-For are believed; default: none"
    )
    mllp_port: int | None = None
    timeout_keep_alive: int = Field(5, ge=1, description="Seconds an idle keep-alive is kept")
    header_timeout: float = Field(
        10.0, gt=0, description="Seconds for a request line and headers, from the first byte"
    )
    limit_concurrency: int | None = Field(
        500, ge=1, description="Connections and requests at once; past it, 503"
    )
    mllp_idle_timeout: float = Field(60.0, gt=0, description="Seconds an idle MLLP link is kept")
    mllp_max_connections: int = Field(100, ge=1, description="MLLP connections at once")
    out_of_scope: Literal["ack", "reject"] = Field(
        "reject", description="ACK for HL7v2 message types not mapped: AR with the reason, or AA"
    )
    hl7_vocab: Path | None = Field(
        None, description="YAML or JSON file: each sender's local codes -> HL7 table codes"
    )
    audit: Literal["all", "writes", "off"] = Field(
        "all", description="AuditEvents: every access, only changes (and refusals), or none"
    )
    audit_retention_days: int = Field(
        2190, ge=0, description="Days AuditEvents are kept (0: forever); default six years"
    )
    # Where --seed reads the sandbox data set from (the image sets it; a checkout finds it).
    sandbox_dir: Path = SANDBOX_DIR
    log_level: str = "info"
    log_format: Literal["text", "json"] = "text"
    access_log: bool = False
    access_log_queries: bool = False
    metrics_token: str | None = Field(None, description="bearer token /metrics requires")
    api_docs: bool = Field(False, description="Serve /docs and /openapi.json")
    auth: Literal["smart", "none"] = Field(
        "smart", description="smart: every request needs a bearer token; none: loopback only"
    )
    auth_issuer: str | None = Field(
        None, description="An external authorization server whose access tokens are trusted (iss)"
    )
    auth_jwks: str | None = Field(
        None, description="The external issuer's JWKS: an https URL or a file"
    )
    auth_audience: str | None = Field(
        None, description="The aud the external issuer's tokens carry; default: the FHIR base URL"
    )

    hl7_senders: Path | None = Field(
        None, description="YAML or JSON file: the HL7v2 senders allowed on MLLP, what each may send"
    )
    hl7_outbound: Path | None = Field(
        None, description="YAML or JSON file: MLLP destinations of the outbound HL7v2 feed"
    )
    mllp_tls_cert: Path | None = Field(None, description="PEM certificate (chain): MLLP over TLS")
    mllp_tls_key: Path | None = Field(None, description="PEM private key of mllp_tls_cert")
    mllp_tls_client_ca: Path | None = Field(
        None, description="PEM CA certificates: MLLP clients must present one they issued"
    )
    tls_cert: Path | None = Field(None, description="PEM certificate (chain): serve HTTPS")
    tls_key: Path | None = Field(None, description="PEM private key of tls_cert")
    cors_origins: CommaList = Field(
        (), description="Origins (scheme://host[:port]) allowed cross-origin; default: CORS off"
    )
    max_url_length: int = Field(16384, ge=256, description="Longest request target; past it, 414")
    max_query_params: int = Field(100, ge=1, description="Query parameters at most; past it, 400")
    request_timeout: float = Field(
        60.0, gt=0, description="Seconds a request may take before it is answered 503"
    )
    max_bundle_entries: int = Field(
        10_000, ge=1, description="Entries in a transaction or batch Bundle at most; past it, 413"
    )
    referential_integrity: Literal["strict", "lenient"] = Field(
        "strict",
        description="strict: references into this server must resolve (422, 409 on delete); "
        "lenient: dangling references are accepted and reported (bulk loads)",
    )
    scrub_on_create: Literal["error", "warn", "off"] = Field(
        "warn",
        description="Claim scrubbing on a client create or update: error refuses a claim with "
        "an error-level edit (422); warn stores the edits with the claim; off runs none",
    )
    slot_hold_minutes: float = Field(
        10.0,
        gt=0,
        description="How long Appointment/$hold keeps a proposal's Slots from others (minutes)",
    )
    export_dir: Path | None = Field(
        None,
        description="Where Bulk Data export files are written; default: 'exports' beside "
        "a SQLite store's file, else ./data/exports",
    )
    export_retention: float = Field(
        86_400.0, gt=0, description="Seconds export files are kept after their job completes"
    )
    export_max_jobs: int = Field(2, ge=1, description="Exports running at once; past it, 429")
    export_file_max_bytes: int = Field(
        256 * 1024 * 1024, ge=1, description="An export's ndjson file is split past this size"
    )

    reminder_sender: str | None = Field(
        None,
        description="Where appointment reminders go: file:DIR, webhook:URL or smtp://HOST:PORT",
    )
    reminders_every: float | None = Field(
        None, gt=0, description="Run $send-reminders this often (seconds, or 15m, 1h)"
    )

    @field_validator("export_retention", "reminders_every", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        # "24h", "30m", "90s" or plain seconds, on the command line as in FHIRPORT_*.
        if isinstance(value, str) and value[-1:] in _UNITS and value[:-1]:
            return float(value[:-1]) * _UNITS[value[-1]]
        return value

    @field_validator("allowed_hosts", "forwarded_allow_ips", "cors_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(f"{origin!r} is no origin: give scheme://host[:port], never *")
        return value

    @model_validator(mode="after")
    def _tls_pairs(self) -> Settings:
        for cert, key in (("tls_cert", "tls_key"), ("mllp_tls_cert", "mllp_tls_key")):
            if (getattr(self, cert) is None) != (getattr(self, key) is None):
                raise ValueError(f"{cert} and {key} go together: give both or neither")
        if self.mllp_tls_client_ca is not None and self.mllp_tls_cert is None:
            raise ValueError("mllp_tls_client_ca (mutual TLS) needs mllp_tls_cert and mllp_tls_key")
        return self
