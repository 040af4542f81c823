"""Every wire contract between the parts, declared once: the streams and the events stored in them (derived from
the event classes), the durable consumers that react to them, the plain subjects (streamed tokens, intake) and the
request/reply subjects. Services, the gateway's system API, the tests and docs/architecture.md (`render_markdown`,
checked by tests/test_wiring.py) all read this module; nothing repeats a subject or a durable name.

WebSocket frames are the gateway's contract with its clients and are declared next to their structs
(services/gateway/frames.py, registry.py); the docs table of frames is rendered from there too."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.events import ALL_EVENTS, Event
from shared.events import correlation as corr
from shared.events import incident as ev
from shared.events import knowledge as kn
from shared.events import security as sec
from shared.events import silences as sil
from shared.events import system as sys_ev
from shared.events.incident import INCIDENTS_STREAM

# ---------------------------------------------------------------- plain (not persisted) subjects
LIVE_AI_PREFIX = "live.ai"  # live.ai.<incident_id>: {incident_id, chunk, full_text}, the Core API contract's ai.stream
INTAKE_ALERTS = "intake.alerts"  # an IncidentPayload JSON per message; the gateway (queue "gateway") takes it in
# request {logs, k, min_seq?} → reply the Core API contract's /rag/test {query, retrieved, count} + {min_seq,
# indexed_seq, stale, waited_ms, reason if stale}, or {error}
RAG_QUERY = "rpc.analyst.rag"
# request {min_seq?, wait?} → reply {min_seq, indexed_seq, stale, waited_ms, reason if stale, entries, analyst}
INDEX_STATUS = "rpc.analyst.index"
DRAFT_REQUEST = "rpc.analyst.draft"  # request {kind, incident} → reply {subject, body, model} or {error}
SUPERVISOR_RPC = "rpc.supervisor"  # rpc.supervisor.<verb> {name} → {code, body}; verbs: SUPERVISOR_VERBS
SUPERVISOR_VERBS = ("status", "start", "stop", "restart", "reset")


@dataclass(frozen=True)
class Subject:
    """A plain NATS subject: who publishes or asks, who answers or listens, and what it carries."""

    subject: str
    kind: str  # "publish" | "request/reply"
    sender: str
    receiver: str
    carries: str


SUBJECTS: tuple[Subject, ...] = (
    Subject(f"{LIVE_AI_PREFIX}.<incident_id>", "publish", "analyst", "gateway (→ ai.stream frames)",
            "LLM tokens as they stream"),
    Subject(INTAKE_ALERTS, "publish", "aegis chaos, other producers", "gateway (queue group)",
            "an alert (IncidentPayload) taken in like POST /webhook"),
    Subject(RAG_QUERY, "request/reply", "gateway (/rag/test)", "analyst", "a retrieval query and its precedents"),
    Subject(INDEX_STATUS, "request/reply", "aegis runbook import", "analyst",
            "how far the retrieval index has read the RUNBOOK stream"),
    Subject(DRAFT_REQUEST, "request/reply", "notifier, gateway (postmortem ?polish=true)", "analyst",
            "an LLM-written notification draft, or a post-incident report's narrative"),
    Subject(f"{SUPERVISOR_RPC}.<verb>", "request/reply", "gateway (/api/system/supervisor)", "aegis up (supervisor)",
            f"worker control: {', '.join(SUPERVISOR_VERBS)}"),
)


def live_ai_subject(incident_id: str) -> str:
    """Where one incident's LLM tokens are published."""
    return f"{LIVE_AI_PREFIX}.{incident_id}"


def incident_subject(event: type[Event]) -> str:
    """The subject filter of one incident event type across all incidents: incidents.*.<event name>."""
    return f"incidents.*.{event.name()}"


# ---------------------------------------------------------------- durable consumers
@dataclass(frozen=True)
class Consumer:
    """A durable JetStream consumer of the INCIDENTS stream: the service that runs it and the events that wake it."""

    durable: str
    service: str
    reacts_to: tuple[type[Event], ...]
    on_give_up: str  # what happens when its handler gives up on a message (after retries, or at once if not retryable)
    when: str = ""  # a condition under which the service runs it; empty: always
    per_node: bool = False  # one durable per node (`<durable>-<node>`), shared by that node's processes

    def durable_for(self, node: str = "") -> str:
        """The durable's name on the server: per node for a per-node consumer."""
        if self.per_node != bool(node):
            raise ValueError(f"consumer {self.durable} is {'' if self.per_node else 'not '}per node")
        return f"{self.durable}-{node}" if node else self.durable

    @property
    def durable_pattern(self) -> str:
        """The durable's name as the docs show it."""
        return f"{self.durable}-<node>" if self.per_node else self.durable

    @property
    def filter_subjects(self) -> list[str]:
        """The subjects it is filtered on (incidents.<id>.<event name>)."""
        return [incident_subject(cls) for cls in self.reacts_to]

    @property
    def stream(self) -> str:
        return INCIDENTS_STREAM


NOTIFIER_TRIGGERS: tuple[type[Event], ...] = (ev.IncidentReceived, ev.ApprovalRequested, ev.IncidentFailed,
                                              ev.IncidentResolved, ev.IncidentRecovered, ev.NotificationApproved)
CONSUMERS: tuple[Consumer, ...] = (
    Consumer("analyst", "analyst", (ev.IncidentReceived,), "the incident FAILS (stage analysis)"),
    Consumer("analyst-learn", "analyst", (ev.IncidentResolved,), "the runbook misses one entry"),
    Consumer("analyst-scoring", "analyst", (ev.IncidentResolved, ev.IncidentRecovered, ev.IncidentFailed),
             "that incident's LLM calls stay unscored", when="an LLM is configured"),
    Consumer("council", "council", (ev.AnalysisCompleted,), "the incident FAILS (stage council)"),
    Consumer("council-approval-timer", "council", (ev.ApprovalRequested,),
             "nothing (each re-check of a distant deadline is one of its 1000 deliveries)"),
    Consumer("executor", "executor", (ev.CouncilDecided, ev.ApprovalGranted), "the incident FAILS (stage executor)",
             when="one per node (`executor-<node>`), shared by that node's executors; each acts only on its "
                  "node's targets", per_node=True),
    Consumer("council-executor-timer", "council", (ev.CouncilDecided, ev.ApprovalGranted),
             "nothing (each re-check of a waiting action is one of its deliveries)"),
    Consumer("notifier", "notifier", NOTIFIER_TRIGGERS,
             "nothing is appended (a failed send is recorded on its draft by the notifier itself)"),
)
_BY_DURABLE = {c.durable: c for c in CONSUMERS}
DURABLES: tuple[str, ...] = tuple(_BY_DURABLE)  # the pipeline's stages, in order


def consumer(durable: str) -> Consumer:
    """The declared consumer of that durable name (KeyError: a typo is a bug, not a runtime condition)."""
    return _BY_DURABLE[durable]


# ---------------------------------------------------------------- streams, derived from the event classes
def streams() -> dict[str, list[str]]:
    """Each stream and the versioned tags of the events stored in it."""
    out: dict[str, list[str]] = {}
    for cls in ALL_EVENTS:
        out.setdefault(cls.stream, []).append(cls.type_tag())
    return out


# ---------------------------------------------------------------- who may write what (NATS permissions)
# The events each service appends. aegis/nats_auth.py turns this into the server's per-user publish permissions, so
# a service (or whoever holds its credentials) cannot append anything else: only the gateway approvals, keys and
# audit records, only executors action outcomes, only the analyst runbook entries and evaluations. A consumer that
# gives up on an incident fails it (IncidentFailed), hence `failed` for every incident-stage service.
APPENDS: dict[str, tuple[type[Event], ...]] = {
    "gateway": (ev.IncidentReceived, ev.AnalysisCompleted, ev.CouncilDecided, ev.ApprovalRequested,
                ev.ApprovalGranted, ev.ApprovalRejected, ev.ApprovalExpired, ev.IncidentRecovered, ev.IncidentFailed,
                ev.NotificationEdited, ev.NotificationApproved, ev.NotificationRejected,
                sys_ev.BreakerStateChanged, kn.EvaluationRecorded,
                sec.UserRegistered, sec.RoleGranted, sec.ApiKeyCreated, sec.ApiKeyRevoked, sec.CallAudited,
                corr.CorrelationOpened, corr.AlertJoined, corr.AlertSilenced, sil.SilenceCreated, sil.SilenceExpired),
    "analyst": (ev.RetrievalCompleted, ev.AnalysisStarted, ev.AnalysisCompleted, ev.IncidentFailed,
                sys_ev.BreakerStateChanged, kn.RunbookEntryAdded, kn.LLMCallEvaluated, kn.EvaluationScored),
    "council": (ev.VoteCast, ev.CouncilDecided, ev.ApprovalRequested, ev.ApprovalExpired, ev.ExecutorAwaited,
                ev.IncidentFailed),
    "executor": (ev.ActionStarted, ev.ActionCompleted, ev.ActionFailed, ev.ScaleCompleted, ev.VerificationStarted,
                 ev.HealthChecked, ev.IncidentResolved, ev.IncidentRecovered, ev.IncidentFailed,
                 sys_ev.TargetRegistered),
    "notifier": (ev.NotificationDrafted, ev.NotificationApproved, ev.NotificationSending, ev.NotificationSent,
                 ev.NotificationFailed),
    "prober": (ev.IncidentReceived, ev.IncidentRecovered, corr.CorrelationOpened, corr.AlertJoined,
               corr.AlertSilenced),
}
# Plain subjects and JetStream-but-not-event subjects each service publishes to or asks on (SUBJECTS says why), and
# the request subjects only one service may answer (nobody else may subscribe there and take its requests).
SENDS: dict[str, tuple[str, ...]] = {
    "gateway": (RAG_QUERY, DRAFT_REQUEST, f"{SUPERVISOR_RPC}.*"),
    "analyst": (f"{LIVE_AI_PREFIX}.*",),
    "notifier": (DRAFT_REQUEST,),
    "executor": ("samples.containers.*", "samples.metrics.*", "samples.exits.*"),
    "prober": ("samples.probes.*",),
}
ANSWERS: dict[str, tuple[str, ...]] = {"analyst": ("rpc.analyst.>",), "gateway": (INTAKE_ALERTS,)}
KV_BUCKETS: dict[str, tuple[str, ...]] = {"executor": ("AEGIS_LEASES", "AEGIS_BUDGETS", "AEGIS_NODES"),
                                          "council": ("AEGIS_BUDGETS",)}
_SUBJECT_SHAPES = {"SYSTEM": "system.*.*.{name}", "AUTH": "auth.*.*.{name}", "AUDIT": "audit.*"}


def event_subjects(event: type[Event]) -> str:
    """The subject wildcard covering every instance of an event type, e.g. incidents.*.approval_granted."""
    shape = _SUBJECT_SHAPES.get(event.stream, event.stream.lower() + ".*.{name}")
    return shape.format(name=event.name())


# ---------------------------------------------------------------- the docs
def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(frames: Iterable[tuple[str, str, str]] = ()) -> str:
    """The wiring section of docs/architecture.md: streams, consumers, subjects and (given) WebSocket frames as
    (type, channel, description)."""
    out = ["### Streams (from the event classes)", ""]
    out += _table(["stream", "events"], ((name, ", ".join(f"`{t}`" for t in tags))
                                         for name, tags in sorted(streams().items())))
    out += ["", "### Durable consumers", ""]
    out += _table(["durable", "service", "wakes on", "runs", "on give-up"],
                  ((f"`{c.durable_pattern}`", c.service, ", ".join(f"`{s}`" for s in c.filter_subjects),
                    c.when or "always", c.on_give_up) for c in CONSUMERS))
    out += ["", "### Who may append what (NATS publish permissions, aegis/nats_auth.py)", ""]
    out += _table(["service", "appends"], ((service, ", ".join(f"`{event_subjects(e)}`" for e in events))
                                           for service, events in APPENDS.items()))
    out += ["", "### Plain subjects", ""]
    out += _table(["subject", "kind", "sender", "receiver", "carries"],
                  ((f"`{s.subject}`", s.kind, s.sender, s.receiver, s.carries) for s in SUBJECTS))
    frames = list(frames)
    if frames:
        out += ["", "### WebSocket frames (/ws)", ""]
        out += _table(["type", "channel", "what"], ((f"`{t}`", ch, d) for t, ch, d in frames))
    return "\n".join(out) + "\n"
