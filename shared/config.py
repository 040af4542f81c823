"""The one place for configuration: defaults < TOML file < AEGIS_* environment < CLI flags."""

from __future__ import annotations

import os
import re
import socket
import tomllib
import uuid
from pathlib import Path
from typing import Any, Literal

import msgspec

from shared.errors import ConfigError

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
# a node's name: it becomes part of a consumer name and a KV key, so no dots and a bounded length
NODE_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$")
INCIDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")  # ids name NATS subjects: no dots, no wildcards
SUPPORTED_ACTIONS = {  # what each kind of target can undergo (the council checks it, the executor does it)
    "process": frozenset({"RESTART", "SCALE_UP", "SCALE_DOWN", "ROLLBACK", "NOOP"}),
    "docker": frozenset({"RESTART", "SCALE_UP", "SCALE_DOWN", "ROLLBACK", "NOOP"}),
}
ENV_PREFIX = "AEGIS_"
SERVICE_NAMES = ("gateway", "analyst", "council", "executor", "notifier", "prober")  # what `aegis up` supervises
_PROCESS_SUFFIX = uuid.uuid4().hex[:6]
PROBE_KINDS = ("http", "tcp", "process", "docker")


class ProbeConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How the prober checks a target: kind, cadence, thresholds and what counts as healthy."""

    kind: Literal["http", "tcp", "process", "docker"] = "http"
    interval: float = 1.0
    timeout: float = 2.0
    failure_threshold: int = 3
    success_threshold: int = 1
    startup_grace: float = 10.0  # a target never seen up yet (just started) gets this long before failures count
    expect_status: int = 200
    expect_body: str = ""  # substring the body must contain
    expect_json: dict[str, str | int | float | bool] = {}  # top-level fields the JSON body must have
    latency_budget_ms: float = 0.0  # >0: slower answers count as failures
    memory_percent: float = 85.0  # resource alerts (the Core API contract's 85%)
    memory_limit_mb: float = 0.0  # >0: memory_percent is of this; else of the container limit / system memory
    cpu_percent: float = 90.0
    cpu_seconds: float = 10.0  # CPU above cpu_percent this long

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Raise ValueError when a rule is broken (config load runs it; a stored record is checked when read)."""
        if self.kind not in PROBE_KINDS:
            raise ValueError(f"probe kind {self.kind!r} is not one of {', '.join(PROBE_KINDS)}")
        if self.interval < 0.2:
            raise ValueError("probe interval must be at least 0.2 s")
        if self.timeout <= 0 or self.failure_threshold < 1 or self.success_threshold < 1:
            raise ValueError("probe timeout must be positive and thresholds at least 1")


class TargetConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A service AegisOps may act on; `kind` picks the executor backend."""

    name: str
    port: int
    command: list[str] = []
    kind: Literal["process", "docker"] = "process"
    cwd: str | None = None
    env: dict[str, str] = {}
    health_url: str = ""
    image: str = ""
    tags: list[str] = []
    lb_port: int = 0  # >0: nginx balances this port over the target and its replicas
    probe: ProbeConfig | None = None  # None: an HTTP probe of health_url (or TCP on the port) with defaults
    node: str = ""  # the node whose executors act on it (docs/fleet.md); empty: the node that registers it

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Raise ValueError when a rule is broken (config load runs it; a stored record is checked when read)."""
        if self.kind not in SUPPORTED_ACTIONS:
            raise ValueError(f"target {self.name}: kind {self.kind!r} is not one of {', '.join(SUPPORTED_ACTIONS)}")
        if self.probe is not None:
            self.probe.check()
        if not NAME_PATTERN.match(self.name) or len(self.name) > 128:
            raise ValueError(f"target name {self.name!r} must match {NAME_PATTERN.pattern}")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"target {self.name}: port {self.port} out of range")
        if self.kind == "process" and not self.command:
            raise ValueError(f"target {self.name}: a process target needs a command")
        if self.kind == "docker" and not self.image:
            raise ValueError(f"target {self.name}: a docker target needs an image")
        if not 0 <= self.lb_port <= 65535:
            raise ValueError(f"target {self.name}: lb_port {self.lb_port} out of range")
        if self.node and not NODE_PATTERN.match(self.node):
            raise ValueError(f"target {self.name}: node {self.node!r} must match {NODE_PATTERN.pattern}")


def nats_credentials_file(data_dir: str | os.PathLike[str], role: str) -> Path:
    """Where `aegis up` keeps a NATS user's credentials: <data_dir>/nats/<role>.creds (aegis/nats_auth.py)."""
    return Path(data_dir) / "nats" / f"{role}.creds"


def existing_nats_credentials(data_dir: str | os.PathLike[str], role: str) -> str | None:
    """That file's path when `aegis up` made it, else None (an external NATS without users)."""
    path = nats_credentials_file(data_dir, role)
    return str(path) if path.exists() else None


class Settings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Every tunable of the platform, with production-sane defaults."""

    data_dir: str = ".aegis"
    nats_url: str = ""  # empty: `aegis up` starts an embedded nats-server
    nats_port: int = 4222
    # the NATS user's credentials file (JSON {user, password}); empty: <data_dir>/nats/<role>.creds when `aegis up`
    # made them (its embedded server refuses anonymous clients), else none
    nats_credentials: str = ""
    stream_replicas: int = 1  # 3 on a 3-node JetStream cluster (docker-compose.yml); streams and the lease bucket
    host: str = "127.0.0.1"
    port: int = 8001
    demo: bool = False
    executors: int = 1
    services: list[str] = []  # which services `aegis up` runs here (empty: all of SERVICE_NAMES)
    # placement (docs/fleet.md): the node this process runs on; a target's actions run only on its node's executors.
    # Empty: this machine's hostname. "auto" (kept for old compose files): the hostname, with a per-process instance.
    node: str = ""
    instance: str = ""  # tells apart several processes of one service on one node ("auto": a random suffix)
    executor_wait_seconds: float = 300.0  # an action for a node with no live executor fails after this long
    node_heartbeat_seconds: float = 5.0  # how often a node agent says it is alive; 3 missed beats: not live
    log_level: str = "INFO"
    # security (docs/security.md)
    auth: bool = True  # False only for local experiments (`aegis up --no-auth`); every start warns
    jwt_secret: str = ""  # empty: generated once into <data_dir>/jwt.secret (mode 0600)
    jwt_expiry_minutes: int = 30
    open_registration: bool = False  # True: anyone may register (as a viewer); else registering needs admin
    rate_limit_per_minute: int = 3000  # requests per principal (token bucket, bursts up to a tenth)
    rate_limit_per_address_per_minute: int = 6000  # requests per client address, signed in or not
    auth_failures_per_minute: int = 30  # failed sign-ins per client address before 429
    # intake
    body_limit_bytes: int = 1024 * 1024
    correlation: bool = True  # an alert about a target with an open incident joins it instead of starting another
    correlation_window_seconds: float = 60.0  # …also one whose incident ended this recently (a late alert)
    separation_of_duties: bool = True  # whoever posted an alert may not approve the action held for it
    trusted_proxies: list[str] = []  # addresses whose X-Forwarded-For is believed; none: the socket's peer counts
    ws_recheck_seconds: float = 10.0  # an open /ws session is checked again this often (revoked, expired)
    ws_max_per_principal: int = 1000  # open /ws sessions one principal may hold (the bench's 500 clients share one key)
    correlation_group_labels: list[str] = []  # Alertmanager alerts correlate by these labels instead of the target
    log_truncate_chars: int = 2000
    # council policy
    max_replicas: int = 5
    min_confidence: float = 0.5
    fix_hold_window_minutes: float = 30.0  # a target failing again this soon after a verified fix escalates
    policy_file: str = ""  # TOML policy (shared/policy.py); empty: built-in defaults
    # executor (the monitor contract's verification defaults; restart delay 0)
    health_check_attempts: int = 10
    health_check_wait: float = 3.0
    health_check_timeout: float = 5.0
    restart_delay: float = 0.0
    stop_grace_seconds: float = 1.0
    # supervisor (CrashLoopBackOff-like)
    backoff_initial: float = 0.5
    backoff_factor: float = 2.0
    backoff_cap: float = 30.0
    backoff_reset_after: float = 60.0
    give_up_restarts: int = 5
    give_up_window: float = 120.0
    # analyst: retrieval
    rag_top_k: int = 3
    rag_similarity_threshold: float = 0.75  # offline analyzer follows a precedent at least this similar
    rag_hnsw_threshold: int = 200_000  # above this many entries the index is approximate (HNSW)
    rag_fresh_wait: float = 5.0  # seconds a query waits for the index to hold the runbook it must see
    casebook: bool = True  # the reference incidents' learned opinion joins the offline diagnosis's evidence
    casebook_dir: str = ""  # where its dev*.jsonl reference cases are (default: the repository's corpus/judgment)
    # where the fitted casebook is kept (default ~/.cache/aegisops/casebook: one fit serves every data dir on the
    # machine; each file is keyed by the references and settings it was fitted from)
    casebook_cache_dir: str = ""
    model_dir: str = ""  # where the exported embedding model is cached (default ~/.cache/aegisops/models)
    # analyst: LLM through litellm (empty model: offline analyzer only)
    llm_model: str = ""
    llm_fallback_models: list[str] = []
    llm_api_base: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 30.0
    llm_temperature: float = 0.2
    breaker_failure_threshold: int = 3
    breaker_reset_timeout: float = 30.0
    # prober
    probes: bool = True  # probe every inventory target and open incidents on failure
    flap_window: float = 300.0  # seconds
    flap_limit: int = 6  # state changes within the window that make a target "flapping"
    alertmanager_target_label: str = "container"  # the alert label naming the target
    prometheus_url: str = ""  # a Prometheus that scrapes us, for /api/system/monitoring/*
    # notifier (secrets are never logged)
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    email_sender: str = ""
    email_recipients: list[str] = []
    notify_webhook_urls: list[str] = []
    slack_webhook_url: str = ""
    notify_review: str = "auto"  # auto | human | per channel: "email=human,webhook=auto"
    notify_retries: int = 3
    # executor: docker, load balancer, scaling
    docker_host: str = ""  # empty: DOCKER_HOST or the default socket
    nginx_binary: str = "nginx"
    scale_default_target: str = "buggy-app-v2"
    metrics_interval_secs: float = 3.0
    lease_ttl: float = 10.0  # a dead executor's lease on a target lapses after this long
    # consumers
    ack_wait: float = 30.0
    executor_ack_wait: float = 5.0  # short: a dead executor's claim is picked up quickly
    max_deliver: int = 5
    targets: list[TargetConfig] = []

    def __post_init__(self) -> None:
        for name in ("port", "nats_port"):
            value = getattr(self, name)
            if not 1 <= value <= 65535:
                raise ValueError(f"{name} {value} out of range 1-65535")
        reviews = [self.notify_review] if "=" not in self.notify_review else \
            [p.split("=", 1)[1] for p in self.notify_review.split(",")]
        if any(r not in ("auto", "human") for r in reviews):
            raise ValueError(f"notify_review {self.notify_review!r}: use auto, human or email=human,webhook=auto")
        if self.stream_replicas not in (1, 3, 5):
            raise ValueError("stream_replicas must be 1, 3 or 5")
        unknown = [name for name in self.services if name not in SERVICE_NAMES]
        if unknown:
            raise ValueError(f"unknown service(s) {', '.join(unknown)}; known: {', '.join(SERVICE_NAMES)}")
        if not 0 <= self.executors <= 16:
            raise ValueError("executors must be between 0 (node agents elsewhere: `aegis executor`) and 16")
        if self.correlation_window_seconds < 0:
            raise ValueError("correlation_window_seconds must be 0 or more")
        if self.health_check_attempts < 1:
            raise ValueError("health_check_attempts must be at least 1")
        if self.ws_recheck_seconds <= 0 or self.ws_max_per_principal < 1:
            raise ValueError("ws_recheck_seconds must be positive and ws_max_per_principal at least 1")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError("min_confidence must be within 0.0-1.0")
        if not 0.0 <= self.rag_similarity_threshold <= 1.0:
            raise ValueError("rag_similarity_threshold must be within 0.0-1.0")
        if self.rag_top_k < 1 or self.breaker_failure_threshold < 1:
            raise ValueError("rag_top_k and breaker_failure_threshold must be at least 1")
        if not 0.0 <= self.rag_fresh_wait <= 600.0:
            raise ValueError("rag_fresh_wait must be within 0-600 seconds")
        if self.llm_timeout <= 0:
            raise ValueError("llm_timeout must be positive")
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError(f"log_level {self.log_level!r} is not DEBUG, INFO, WARNING or ERROR")
        if not 1 <= self.jwt_expiry_minutes <= 24 * 60:
            raise ValueError("jwt_expiry_minutes must be between 1 and 1440")
        if min(self.rate_limit_per_minute, self.rate_limit_per_address_per_minute, self.auth_failures_per_minute) < 1:
            raise ValueError("rate limits must be at least 1 per minute")
        if self.jwt_secret and len(self.jwt_secret) < 32:
            raise ValueError("jwt_secret must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        names = [t.name for t in self.targets]
        if len(names) != len(set(names)):
            raise ValueError("target names must be unique")
        for value, what in ((self.node, "node"), (self.instance, "instance")):
            if value and not NODE_PATTERN.match(value):
                raise ValueError(f"{what} {value!r} must match {NODE_PATTERN.pattern}")
        if self.executor_wait_seconds <= 0 or self.node_heartbeat_seconds <= 0:
            raise ValueError("executor_wait_seconds and node_heartbeat_seconds must be positive")

    @property
    def node_name(self) -> str:
        """The node this process runs on (placement): `node`, else this machine's hostname made a valid node name
        (`ip-10-0-0-1.ec2.internal` → `ip-10-0-0-1`: a node name has no dots)."""
        if self.node and self.node != "auto":
            return self.node
        host = re.sub(r"[^a-zA-Z0-9_-]", "-", socket.gethostname().split(".")[0]).strip("-_")[:63]
        return host or "localhost"

    @property
    def actor_name(self) -> str:
        """This process's name in event actors: the node, and the instance when several processes of one service
        share it (`aegis up --executors N`, `docker compose --scale executor=N`)."""
        instance = _PROCESS_SUFFIX if "auto" in (self.node, self.instance) else self.instance
        return f"{self.node_name}-{instance}" if instance else self.node_name

    @property
    def nats_servers(self) -> str:
        """The NATS URL services connect to."""
        return self.nats_url or f"nats://127.0.0.1:{self.nats_port}"

    def nats_credentials_for(self, role: str) -> str | None:
        """The credentials file a process of this role connects with (aegis/nats_auth.py names the roles)."""
        return self.nats_credentials or existing_nats_credentials(self.data_dir, role)

    def review_for(self, channel: str) -> str:
        """auto or human for one channel (notify_review is global or "email=human,webhook=auto")."""
        if "=" not in self.notify_review:
            return self.notify_review
        pairs = dict(p.split("=", 1) for p in self.notify_review.split(",") if "=" in p)
        return pairs.get(channel, "auto")

    def target(self, name: str) -> TargetConfig | None:
        """The configured target of that name, if any."""
        return next((t for t in self.targets if t.name == name), None)


_ENV_FIELDS = {f for f in Settings.__struct_fields__ if f != "targets"}
_LIST_FIELDS = {"llm_fallback_models", "email_recipients", "notify_webhook_urls", "services",
                "correlation_group_labels", "trusted_proxies"}
SEED_000_ALIASES = {
    "EMAIL_SENDER": "email_sender",
    "EMAIL_APP_PASSWORD": "smtp_password",
    "EMAIL_RECIPIENTS": "email_recipients",
}


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for seed_name, field in SEED_000_ALIASES.items():  # the monitor contract's .env names, below their AEGIS_* twins
        if seed_name in environ:
            value = environ[seed_name]
            out[field] = [v.strip() for v in value.split(",") if v.strip()] if field in _LIST_FIELDS else value
    for field in _ENV_FIELDS:
        key = ENV_PREFIX + field.upper()
        if key in environ:
            value = environ[key]
            out[field] = [v.strip() for v in value.split(",") if v.strip()] if field in _LIST_FIELDS else value
    return out


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}", path=str(path)) from None


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build Settings from file, environment and explicit overrides; raise ConfigError if invalid."""
    env = dict(os.environ if environ is None else environ)
    raw: dict[str, Any] = {}
    path = config_file or env.get(ENV_PREFIX + "CONFIG")
    if path:
        raw.update(_read_file(Path(path)))
    raw.update(_env_overrides(env))
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"invalid configuration: {exc}", source=str(path or "environment")) from None


# The service that may hold each secret: `aegis up` hands every other service an empty value instead (settings_env
# with a service), which also overrides what the config file says.
SECRET_HOLDERS: dict[str, tuple[str, ...]] = {
    "llm_api_key": ("analyst",),
    "smtp_password": ("notifier",),
    "notify_webhook_urls": ("notifier",),
    "slack_webhook_url": ("notifier",),
    "jwt_secret": ("gateway",),
}


def settings_env(settings: Settings, service: str | None = None) -> dict[str, str]:
    """The AEGIS_* variables that reproduce these settings' scalars in a child process; for `service`, the secrets
    of other services (SECRET_HOLDERS) are set empty."""
    out = {}
    for field in _ENV_FIELDS:
        value = getattr(settings, field)
        if service is not None and service not in SECRET_HOLDERS.get(field, (service,)):
            value = [] if isinstance(value, list) else ""
        if isinstance(value, list):
            text = ",".join(value)
        else:
            text = str(value).lower() if isinstance(value, bool) else str(value)
        out[ENV_PREFIX + field.upper()] = text
    return out
