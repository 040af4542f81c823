"""Nodes and their agents: every executor (a node agent) says it is alive in a NATS KV bucket, one key per process;
the control plane reads it to know which nodes can act right now (council: wait for a node; gateway: /api/system/nodes).

Liveness is judged from the beat's own timestamp (missing LIVE_AFTER_BEATS beats = not live), not from the bucket's
max age, which only sweeps away agents that stopped long ago."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import nats.js.errors
from nats.aio.client import Client as NATS
from nats.js.kv import KeyValue

from shared.jetstream import js_call, open_bucket, translate
from shared.log import get_logger

BUCKET = "AEGIS_NODES"
FORGET_AFTER_SECONDS = 24 * 3600  # a stopped agent's last beat stays listed (as not live) this long
UNPLACED = "(any)"  # how a target registered before placement (no node: every node's executors may act) is listed
LIVE_AFTER_BEATS = 3  # an agent whose last beat is older than this many intervals is not live
READ_MAX_AGE = 1.0  # how old a read polled readers accept (the council's timer, health pages, the topology)
log = get_logger("nodes")


@dataclass(frozen=True)
class Beat:
    """One agent's latest heartbeat."""

    node: str
    agent: str  # the executor process (its actor name)
    at: float  # unix time of the beat
    started_at: float
    interval: float
    targets: tuple[str, ...]  # the inventory targets placed on this node, as the agent saw them
    version: str = ""

    def live(self, now: float) -> bool:
        return now - self.at <= self.interval * LIVE_AFTER_BEATS

    def to_json(self) -> bytes:
        return json.dumps({"node": self.node, "agent": self.agent, "at": self.at, "started_at": self.started_at,
                           "interval": self.interval, "targets": list(self.targets), "version": self.version}).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Beat:
        raw = json.loads(data)
        return cls(node=str(raw["node"]), agent=str(raw["agent"]), at=float(raw["at"]),
                   started_at=float(raw["started_at"]), interval=float(raw["interval"]),
                   targets=tuple(raw.get("targets") or ()), version=str(raw.get("version", "")))


def samples_subject(kind: str, node: str) -> str:
    """Where a node's agent publishes its samples of one kind (containers, metrics): samples.<kind>.<node>."""
    return f"samples.{kind}.{node}"


def _key(node: str, agent: str) -> str:
    """KV keys allow [-/_=.a-zA-Z0-9]: node names have no dots (NODE_PATTERN), agents' dots are kept."""
    return f"{node}.{agent.replace('@', '_')}"


class Nodes:
    """The node registry in NATS KV."""

    def __init__(self, nc: NATS, replicas: int = 1) -> None:
        self.js = nc.jetstream()
        self.replicas = replicas
        self._kv: KeyValue | None = None
        self._read: tuple[float, list[Beat]] | None = None  # (monotonic time, beats): the last read, for max_age

    async def kv(self) -> KeyValue:
        if self._kv is None:
            self._kv = await open_bucket(self.js, BUCKET, replicas=self.replicas, ttl=FORGET_AFTER_SECONDS)
        return self._kv

    async def beat(self, beat: Beat) -> None:
        """Record this agent's heartbeat."""
        kv = await self.kv()
        await js_call(kv.put(_key(beat.node, beat.agent), beat.to_json()))

    async def leave(self, node: str, agent: str) -> None:
        """A clean stop: the agent is gone at once, not after missed beats."""
        try:
            kv = await self.kv()
            await js_call(kv.purge(_key(node, agent)))
        except Exception as exc:  # noqa: BLE001 - its beats age out anyway
            log.info("node agent left without purging its beat", extra={"node": node, "error": repr(exc)})

    async def beats(self, max_age: float = 0.0) -> list[Beat]:
        """Every agent's latest beat (live or not), by node then agent. With `max_age`, a read at most that many
        seconds old answers: a storm of approved actions or a polled health page costs one read a second, not one
        each."""
        if max_age > 0 and self._read is not None and time.monotonic() - self._read[0] <= max_age:
            return self._read[1]
        started = time.monotonic()
        kv = await self.kv()
        try:
            keys = await kv.keys()
        except nats.js.errors.NoKeysError:
            return []
        except Exception as exc:
            raise translate(exc) from exc
        out: list[Beat] = []
        for key in keys:
            try:
                entry = await kv.get(key)
            except nats.js.errors.KeyNotFoundError:
                continue  # left meanwhile
            except Exception as exc:
                raise translate(exc) from exc
            if entry.value:
                try:
                    out.append(Beat.from_json(entry.value))
                except (ValueError, KeyError, TypeError):
                    log.warning("unreadable node beat ignored", extra={"key": key})
        out.sort(key=lambda b: (b.node, b.agent))
        self._read = (started, out)
        return out

    async def live_agents(self, node: str, max_age: float = READ_MAX_AGE) -> list[Beat]:
        """The node's agents that beat recently (the registry read at most `max_age` seconds ago)."""
        at = time.time()
        return [b for b in await self.beats(max_age) if b.node == node and b.live(at)]


def live_nodes(beats: list[Beat], now: float) -> dict[str, bool]:
    """Every node that has beaten within FORGET_AFTER_SECONDS → whether one of its agents is live now."""
    return {n["node"]: n["live"] for n in summary(beats, now)}


def summary(beats: list[Beat], now: float) -> list[dict]:
    """Per node: its agents (live or not, with the age of their last beat) and its targets."""
    nodes: dict[str, dict] = {}
    for b in beats:
        n = nodes.setdefault(b.node, {"node": b.node, "live": False, "agents": [], "targets": set()})
        n["live"] = n["live"] or b.live(now)
        n["agents"].append({"agent": b.agent, "live": b.live(now), "last_beat_s": round(now - b.at, 1),
                            "started_at": b.started_at, "version": b.version})
        n["targets"].update(b.targets)
    return [{**n, "targets": sorted(n["targets"]), "last_beat_s": min(a["last_beat_s"] for a in n["agents"])}
            for n in sorted(nodes.values(), key=lambda n: n["node"])]
