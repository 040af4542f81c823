"""The notifier's consumer: draft each (kind, channel) once, wait for review if asked, send at most once."""

from __future__ import annotations

import json
import os

from services.notifier import domain, templates
from services.notifier.channels import ChannelError, Outgoing, configured_channels, send_with_retries
from shared.aggregate import decide_and_append
from shared.consumer import ConsumerSpec, Delivery
from shared.events import Envelope
from shared.events import incident as ev
from shared.log import get_logger
from shared.projections.incident import IncidentState, fold
from shared.service import ServiceContext
from shared.wiring import DRAFT_REQUEST, consumer

log = get_logger("notifier")
TRIGGERS = tuple(cls.name() for cls in consumer("notifier").reacts_to)


class Notifier:
    """Drafts with the LLM (through the analyst) or a template; sends through the configured channels."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.channels = {c.name: c for c in configured_channels(ctx.settings)}
        self.me = f"{ctx.actor}#{os.getpid()}"  # this process: a claim by anyone else was cut off

    async def compose(self, state: IncidentState, kind: str) -> tuple[str, str, str]:
        """(subject, body, drafted_by): the analyst's LLM when it answers, else the template."""
        try:
            reply = await self.ctx.nc.request(DRAFT_REQUEST, json.dumps(
                {"kind": kind, "incident": templates.draft(state, kind)[1]}).encode(), timeout=20)
            answer = json.loads(reply.data)
            if answer.get("subject") and answer.get("body"):
                return str(answer["subject"])[:200], str(answer["body"]), f"llm:{answer.get('model', '')}"
        except Exception as exc:  # noqa: BLE001 - no analyst, no LLM, bad answer: the template is the floor
            log.info("LLM draft unavailable; using the template", extra={"error": type(exc).__name__})
        subject, body = templates.draft(state, kind)
        return subject, body, "template"

    async def on_event(self, env: Envelope, delivery: Delivery) -> None:
        """Draft what this event calls for, then send whatever is approved and unsent."""
        iid = env.incident_id
        assert iid is not None
        store, s = self.ctx.store, self.ctx.settings
        stored = await store.load(iid)  # one read per event; every decision below returns the state it left
        claims = {s.envelope.payload.draft_id: s.envelope.payload.node for s in stored
                  if isinstance(s.envelope.payload, ev.NotificationSending)}
        state = fold(stored)
        if domain.repairs(state, claims, self.me):
            state, _ = await decide_and_append(store, iid, lambda st: domain.repairs(st, claims, self.me),
                                               causation=env)
        kind = domain.kind_for(env.payload, state)
        if kind is not None:
            for channel in domain.missing(state, kind, list(self.channels)):
                subject, body, by = await self.compose(state, kind)  # type: ignore[arg-type]
                recipients = self.channels[channel].recipients()
                draft = (kind, channel, subject, body, recipients, s.review_for(channel), by)
                state, _ = await decide_and_append(store, iid, lambda st, d=draft: domain.drafted(st, *d),
                                                   causation=env)
        for note in [n for n in (state.notifications if state else ()) if n.status == "approved"]:
            await self.send(iid, note.draft_id, env)

    async def send(self, iid: str, did: str, cause: Envelope) -> None:
        """Claim, deliver with retries, record the outcome."""
        store = self.ctx.store
        mine = []

        def claim(state):  # type: ignore[no-untyped-def]
            events = domain.claim(state, did, self.me)
            mine.extend(events)
            return events

        state, _ = await decide_and_append(store, iid, claim, causation=cause)
        if not mine or state is None:
            return
        note = state.notification(did)
        channel = self.channels.get(note.channel) if note else None
        if note is None or channel is None:
            await decide_and_append(store, iid, lambda st: [ev.NotificationFailed(
                draft_id=did, channel=note.channel if note else "?", error="channel no longer configured")],
                causation=cause)
            return
        message = Outgoing(iid, note.kind, note.subject, note.body, note.recipients)
        try:
            attempts = await send_with_retries(channel, message, self.ctx.settings.notify_retries)
        except ChannelError as exc:
            error = exc.message
        else:
            await decide_and_append(store, iid, lambda st: [ev.NotificationSent(
                draft_id=did, channel=note.channel, recipients=list(note.recipients),
                approved_by=note.approved_by or "", attempts=attempts)], causation=cause)
            return
        log.warning("notification failed", extra={"incident_id": iid, "draft_id": did, "error": error})
        await decide_and_append(store, iid, lambda st: [ev.NotificationFailed(
            draft_id=did, channel=note.channel, error=error, attempts=self.ctx.settings.notify_retries)],
            causation=cause)


def consumers(ctx: ServiceContext) -> list[ConsumerSpec]:
    """The notifier's durable consumer (one notifier process: sends are claimed, not coordinated)."""
    notifier = Notifier(ctx)
    return [ConsumerSpec.wired("notifier", notifier.on_event, ack_wait=ctx.settings.ack_wait,
                               max_deliver=ctx.settings.max_deliver)]
