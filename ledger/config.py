"""One typed settings object for every process, and the eventsourcing environment built from it."""

from pathlib import Path
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.calendar import DEFAULT_TIME_ZONE

APPLICATION_NAME = "Ledger"
DEFAULT_PUBLIC_URL = "http://localhost:8000"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    environment: str = Field("development", description="development or production")
    data_dir: Path = Path("var")
    database_url: str | None = Field(None, validation_alias="DATABASE_URL")
    kafka_bootstrap_servers: str | None = Field(
        None, validation_alias="KAFKA_BOOTSTRAP_SERVERS"
    )
    # Prepended to the ledger's Kafka topic names (several ledgers sharing one cluster).
    kafka_topic_prefix: str = ""
    # The form of the messages the relay and the exporter publish (ledger.projections.wire):
    # 2 = CloudEvents 1.0 binary content mode, 1 = the JSON envelope of earlier releases.
    kafka_envelope: int = Field(2, ge=1, le=2)
    # Base64 of 32 bytes; wraps every learner's data key. Generated under data_dir in development.
    master_key: str | None = None
    # Where the public URLs and did:web DIDs point; unset, `ledger serve` derives it from the
    # address it listens on (DEFAULT_PUBLIC_URL elsewhere).
    public_base_url: str | None = None
    # The body that runs the ledger: it compiles the CLR and signs status lists.
    operator_name: str = "National Center for Educational Quality Enhancement"
    operator_country: str = "GE"
    # The quality-assurance agency that accredits providers and signs the endorsements carried
    # by every credential; by default the operator itself.
    qa_body_name: str | None = None
    # ELMO reports are signed with an X.509 certificate (EMREX): PEM files of the operator's
    # certificate and its unencrypted RSA or EC P-256 key. Unset: a self-signed one is made once
    # per ledger (development), its key sealed under the master key.
    xml_signing_certificate: Path | None = None
    xml_signing_key: Path | None = None
    # Offline standards cache (contexts, schemas); default <data_dir>/standards.
    standards_dir: Path | None = None
    pool_size: int = 10
    batch_max_commands: int = 500
    bulk_chunk_size: int = 1000
    read_wait_seconds: float = 5.0
    aggregate_cache_size: int = 100_000
    # Workers (relay, projector, exporter) serve /metrics and /healthz on this port.
    metrics_port: int | None = Field(None, ge=1, le=65535)
    # The operator's time zone (IANA name): its date is "today" for award and decision dates.
    time_zone: str = DEFAULT_TIME_ZONE
    # The ledger signs the hash chain's head each time it has moved this many positions on.
    checkpoint_every: int = Field(10_000, ge=0, description="0 turns periodic checkpoints off")

    # Sign-in on the pages (services/web/signin.py): an OpenID Provider and this ledger's
    # client there (authorization code with PKCE). Unset issuer: no OpenID sign-in.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    # Where the provider sends people back; default <public URL>/signin/callback.
    oidc_redirect_uri: str | None = None
    oidc_scope: str = "openid profile"
    # Where the ledger itself fetches the provider's discovery document, when it reaches the
    # provider under another address than browsers do (compose: http://keycloak:8080/...);
    # default <issuer>/.well-known/openid-configuration. The ID token's `iss` must still be
    # LEDGER_OIDC_ISSUER.
    oidc_metadata_url: str | None = None
    # Signs the session cookie (and its CSRF tokens); required outside development when
    # OpenID sign-in is on. Unset in development: a random one per process.
    session_secret: str | None = None
    # A session ends this long after sign-in, whatever happens in between.
    session_lifetime_seconds: int = Field(8 * 3600, ge=60, le=7 * 24 * 3600)
    # The cookie's Secure attribute; unset: on when the public URL is https.
    session_cookie_secure: bool | None = None

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value and urlparse(value).scheme not in ("postgres", "postgresql"):
            raise ValueError("DATABASE_URL must be a postgresql:// URL")
        return value or None

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"LEDGER_TIME_ZONE {value!r} is not an IANA time zone") from None
        return value

    @property
    def public_url(self) -> str:
        return self.public_base_url or DEFAULT_PUBLIC_URL

    def serving_at(self, host: str, port: int) -> None:
        """Unless LEDGER_PUBLIC_BASE_URL was given, mint URLs and DIDs for this address."""
        if not self.public_base_url:
            shown = "localhost" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
            shown = f"[{shown}]" if ":" in shown else shown
            self.public_base_url = f"http://{shown}:{port}"

    @property
    def secure_cookies(self) -> bool:
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return self.public_url.startswith("https://")

    @property
    def oidc_callback(self) -> str:
        return self.oidc_redirect_uri or f"{self.public_url.rstrip('/')}/signin/callback"

    @property
    def standards_path(self) -> Path:
        return self.standards_dir or self.data_dir / "standards"

    @model_validator(mode="after")
    def _certificate_and_key(self) -> "Settings":
        if (self.xml_signing_key is None) != (self.xml_signing_certificate is None):
            raise ValueError("set both LEDGER_XML_SIGNING_CERTIFICATE and "
                             "LEDGER_XML_SIGNING_KEY, or neither")
        if self.oidc_issuer and self.environment != "development" and not self.session_secret:
            raise ValueError("LEDGER_SESSION_SECRET is required outside development when "
                             "LEDGER_OIDC_ISSUER is set")
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("LEDGER_OIDC_CLIENT_ID is required with LEDGER_OIDC_ISSUER")
        return self

    @property
    def uses_postgres(self) -> bool:
        return self.database_url is not None

    def eventsourcing_env(self) -> dict[str, str]:
        """The library's environment, built explicitly rather than read from os.environ."""
        env = {"CREATE_TABLE": "y", "ORIGINATOR_ID_TYPE": "uuid"}
        if self.database_url:
            url = urlparse(self.database_url)
            env.update(
                PERSISTENCE_MODULE="eventsourcing.postgres",
                APPLICATION_RECORDER_TOPIC="ledger.store.recorders:PostgresLedgerRecorder",
                POSTGRES_DBNAME=unquote(url.path.lstrip("/")) or "ledger",
                POSTGRES_HOST=url.hostname or "localhost",
                POSTGRES_PORT=str(url.port or 5432),
                POSTGRES_USER=unquote(url.username or "ledger"),
                POSTGRES_PASSWORD=unquote(url.password or ""),
                POSTGRES_POOL_SIZE=str(self.pool_size),
                POSTGRES_MAX_OVERFLOW=str(self.pool_size),
                POSTGRES_LOCK_TIMEOUT="10",
                # A pooled connection broken by a database restart is replaced on checkout
                # instead of failing the request (or the worker's poll) that drew it.
                POSTGRES_PRE_PING="y",
            )
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            env.update(
                PERSISTENCE_MODULE="eventsourcing.sqlite",
                APPLICATION_RECORDER_TOPIC="ledger.store.recorders:SQLiteLedgerRecorder",
                SQLITE_DBNAME=str(self.data_dir / "ledger.sqlite3"),
                SQLITE_LOCK_TIMEOUT="30",
            )
        return env
