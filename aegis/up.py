"""`aegis up`: embedded NATS, the inventory, demo targets, every service under the supervisor."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from aegis.backoff import BackoffPolicy
from aegis.nats_auth import NatsAuth
from aegis.nats_server import EmbeddedNats, port_free, wait_for_port
from aegis.supervisor import Supervisor, WorkerSpec
from shared.config import SERVICE_NAMES, Settings, settings_env
from shared.errors import AegisError, RuntimeStartError
from shared.eventstore import EventStore
from shared.jetstream import connect, ensure_streams
from shared.log import get_logger, setup_logging

log = get_logger("up")


def _say(text: str) -> None:
    print(text, flush=True)


async def run_up(settings: Settings, config_file: str | None = None) -> int:
    """Run the platform until SIGINT/SIGTERM; leaves no process behind."""
    from shared.policy import load_policy

    load_policy(settings.policy_file, settings.max_replicas)  # a bad policy stops here, with its reason
    data_dir = Path(settings.data_dir).resolve()
    (data_dir / "logs").mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(data_dir / "logs", 0o700)  # a data dir from an older release: logs are the operator's alone
    setup_logging("aegis-up", settings.log_level, log_file=data_dir / "logs" / "aegis-up.log")
    if not port_free(settings.host, settings.port):
        raise RuntimeStartError(f"gateway port {settings.port} is already in use; pass --port", port=settings.port)
    nats = auth = None
    nats_url = settings.nats_url
    if not nats_url:
        auth = NatsAuth(data_dir)
        auth.ensure()
        nats = EmbeddedNats(data_dir, settings.nats_port, auth=auth)
        await asyncio.to_thread(nats.start)
        nats_url = nats.url
        _say(f"nats-server   {nats_url}  (JetStream in {data_dir / 'jetstream'}; a user per service, "
             f"credentials in {auth.directory})")
    else:  # an external NATS (a cluster): per-service users when the operator put their files in the data dir
        found = NatsAuth(data_dir)
        auth = found if found.path("admin").exists() else None
        _say(f"nats          {nats_url}  (external; " + (f"a user per service from {found.directory})" if auth
                                                         else "credentials: nats_credentials, or none)"))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    nc = supervisor = demo = None
    try:
        nc = await connect(nats_url, name=f"aegis-up@{settings.actor_name}",
                           credentials=auth.path("admin") if auth else settings.nats_credentials or None)
        await ensure_streams(nc.jetstream(), settings.stream_replicas)
        store = EventStore(nc, f"supervisor@{settings.actor_name}")
        await _announce_security(settings, store, data_dir)
        env = {"AEGIS_NATS_URL": nats_url, "AEGIS_DATA_DIR": str(data_dir)}

        def service_env(role: str) -> dict[str, str]:
            """Its settings with only its own secrets (settings_env) and its own NATS user's credentials."""
            own = settings_env(settings, role) | env
            return own | ({"AEGIS_NATS_CREDENTIALS": str(auth.path(role))} if auth else {})
        if config_file:
            env["AEGIS_CONFIG"] = str(Path(config_file).resolve())
        from shared.registration import register_targets

        targets = list(settings.targets)
        if settings.demo:
            from aegis.demo.targets import DemoTargets

            demo = DemoTargets(data_dir / "logs")
            targets += demo.targets
            await asyncio.to_thread(demo.start_all)
            for target in demo.targets:
                _say(f"demo target   {target.name:<14} http://127.0.0.1:{target.port}{_path(target.health_url)}")
        await register_targets(store, targets, settings.node_name)
        supervisor = Supervisor(store, BackoffPolicy.from_settings(settings), log_dir=str(data_dir / "logs"))
        for name in settings.services or SERVICE_NAMES:
            if name == "executor" and settings.executors != 1:
                for i in range(1, settings.executors + 1):
                    node = {"AEGIS_INSTANCE": str(i)}
                    supervisor.add(WorkerSpec.python_module(f"executor_{i}", "services.executor",
                                                            service_env("executor") | node))
                continue
            supervisor.add(WorkerSpec.python_module(name, f"services.{name}", service_env(name)))
        await supervisor.start_all()
        from aegis.supervisor_api import serve_supervisor_api

        await serve_supervisor_api(nc, supervisor)
        for name, worker in supervisor.workers.items():
            _say(f"service       {name:<14} pid {worker.proc.pid if worker.proc else '-'}")
        if await asyncio.to_thread(wait_for_port, settings.host, settings.port, 30.0):
            _say(f"gateway       http://{settings.host}:{settings.port}  (docs /docs, websocket /ws)")
        else:
            _say(f"gateway       did not open port {settings.port}; see {data_dir / 'logs' / 'gateway.log'}")
        _say(f"logs          {data_dir / 'logs'}")
        _say("AegisOps is up. Ctrl-C stops everything.")
        await stop.wait()
        _say("stopping…")
        return 0
    finally:
        if supervisor is not None:
            await supervisor.stop_all()
        if demo is not None:
            await asyncio.to_thread(demo.stop_all)
        from services.executor.loadbalancer import NginxBalancer

        await asyncio.to_thread(NginxBalancer(data_dir / "nginx", settings.nginx_binary).stop)
        if nc is not None:
            try:
                await nc.close()
            except Exception:  # noqa: BLE001 - shutting down anyway
                pass
        if nats is not None:
            await asyncio.to_thread(nats.stop)
        _say("stopped.")


async def _announce_security(settings: Settings, store: EventStore, data_dir: Path) -> None:
    """First start: issue the admin key and print it once. Without auth: warn, every time."""
    from services.gateway.auth.bootstrap import ADMIN_KEY_FILE, ensure_admin_key, jwt_secret

    if not settings.auth:
        _say("WARNING       authentication is OFF (--no-auth): anyone who can reach the gateway may act on your "
             "services. Use it for local experiments only.")
        log.warning("authentication is off (--no-auth)")
        return
    jwt_secret(settings)  # created once, before the gateway (and any second gateway) reads it
    key = await ensure_admin_key(store, data_dir)
    path = data_dir / ADMIN_KEY_FILE
    if key is not None:
        _say(f"admin API key {key}")
        _say(f"              shown once; also written to {path} (mode 0600). Send it as X-API-Key.")
        log.info("bootstrap admin key issued", extra={"path": str(path)})
    else:
        _say(f"auth          on; the admin key is in {path}" if path.exists() else
             "auth          on; sign in with a key you created (the bootstrap admin key file was removed)")


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3] if url.count("/") >= 3 else ""




async def run_setup(settings: Settings) -> int:
    """`aegis setup`: what `aegis up` does before starting services, for deployments that run each service in
    its own container (docker-compose.yml): streams with `stream_replicas`, the configured targets, the admin
    key. Waits for a new cluster to elect its JetStream leader; safe to run again."""
    from shared.policy import load_policy
    from shared.registration import register_targets

    load_policy(settings.policy_file, settings.max_replicas)
    data_dir = Path(settings.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    nc = await connect(settings.nats_servers, name=f"aegis-setup@{settings.actor_name}",
                       credentials=settings.nats_credentials_for("admin"))
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while True:
            try:
                await ensure_streams(nc.jetstream(), settings.stream_replicas)
                break
            except AegisError as exc:  # a cluster without a JetStream leader yet answers "no suitable peers"
                if asyncio.get_running_loop().time() > deadline:
                    raise RuntimeStartError(f"could not create the streams: {exc.message}") from None
                await asyncio.sleep(1.0)
        store = EventStore(nc, f"setup@{settings.actor_name}")
        await register_targets(store, list(settings.targets), settings.node_name)
        await _announce_security(settings, store, data_dir)
        _say(f"streams       {settings.stream_replicas} replica(s) on {settings.nats_servers}")
        return 0
    finally:
        await nc.close()
