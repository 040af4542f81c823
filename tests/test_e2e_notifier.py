"""Notifications end to end: a real aiosmtpd server and a loopback webhook receiver; once each, edits, failures."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from aegis.harness import alert, demo_ports_free, eventually, free_port, kill_target, stored_types, wait_sync

pytestmark = pytest.mark.e2e


class Mailbox:
    """aiosmtpd handler keeping every message."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope.content.decode(errors="replace"))
        return "250 OK"

    def for_incident(self, iid: str) -> list[str]:
        return [m for m in self.messages if f"X-AegisOps-Incident: {iid}" in m]


class Receiver:
    """A loopback webhook receiver."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                outer.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def kinds(self, iid: str) -> list[str]:
        return [b["kind"] for b in self.bodies if b["incident_id"] == iid]


@pytest.fixture(scope="module")
def setup(start_platform):
    wait_sync(demo_ports_free, timeout=15, what="demo ports free")
    mailbox, receiver = Mailbox(), Receiver()
    smtp_port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    config = f"""
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
smtp_tls = "none"
email_sender = "aegis@example.org"
email_recipients = ["sre@example.org", "oncall@example.org"]
notify_webhook_urls = ["{receiver.url}"]
notify_review = "email=human,webhook=auto"
correlation = false  # each alert its own incident: these tests follow one incident's notifications each
"""
    plat = start_platform("notify", demo=True, config=config)
    smtp = {"controller": controller, "port": smtp_port, "mailbox": mailbox}
    yield plat, mailbox, receiver, smtp
    plat.shutdown()  # before the SMTP server and the receiver it sends to
    smtp["controller"].stop()
    receiver.server.shutdown()


def drafts(plat, iid):
    return {n["draft_id"]: n for n in plat.get("/notifications").json() if n["incident_id"] == iid}


async def test_alert_and_recovery_arrive_once_each(setup):
    plat, mailbox, receiver, _ = setup
    kill_target(8002)
    plat.webhook(alert("note-1", "addition-api"))
    await asyncio.to_thread(plat.wait_terminal, "note-1")
    await eventually(lambda: receiver.kinds("note-1") == ["alert", "recovery"], timeout=20, what="webhooks")
    notes = await eventually(lambda: (lambda d: d if {"alert-email", "recovery-email"} <= set(d) else None)(
        drafts(plat, "note-1")), timeout=20, what="email drafts")
    assert notes["alert-email"]["status"] == "drafted" and notes["alert-webhook"]["status"] == "sent"
    assert "ALERT: addition-api" in notes["alert-email"]["subject"]
    for draft in ("alert-email", "recovery-email"):
        proc = subprocess.run([sys.executable, "-m", "aegis.cli", "notify", "approve", "note-1", draft, "--by", "al",
                               "--url", plat.url, "--data-dir", str(plat.data_dir)],
                              capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, proc.stderr
    await eventually(lambda: len(mailbox.for_incident("note-1")) == 2, timeout=20, what="two mails")
    mails = mailbox.for_incident("note-1")
    assert "To: sre@example.org, oncall@example.org" in mails[0]
    assert receiver.kinds("note-1") == ["alert", "recovery"]  # nothing sent twice meanwhile

    async def sent():
        return (await stored_types(plat, "note-1")).count("incident.notification_sent.v1") == 4

    await eventually(sent, timeout=10, what="four sent events")
    assert len(mailbox.for_incident("note-1")) == 2
    # a webhook URL is a credential: events and every viewer answer name it by a label, never the URL
    assert notes["alert-webhook"]["recipients"] == ["webhook 1 (127.0.0.1)"]
    for path in ("/notifications", "/incidents/note-1", "/incidents"):
        assert receiver.url not in plat.get(path).text


async def test_an_edit_before_approval_sends_the_edited_text(setup):
    plat, mailbox, _, _ = setup
    plat.webhook(alert("note-2", "no-such-target"))
    await eventually(lambda: "alert-email" in drafts(plat, "note-2"), timeout=20, what="draft")
    edited = plat.post("/notifications/note-2/alert-email/edit",
                        json={"subject": "Edited by a human", "body": "Short and to the point.", "by": "bea"})
    assert edited.status_code == 200
    assert plat.post("/notifications/note-2/alert-email/approve", json={"by": "bea"}).status_code == 200
    await eventually(lambda: mailbox.for_incident("note-2"), timeout=20, what="edited mail")
    (mail,) = mailbox.for_incident("note-2")
    assert "Subject: Edited by a human" in mail and "Short and to the point." in mail
    again = plat.post("/notifications/note-2/alert-email/approve", json={})
    assert again.status_code == 409 and "not awaiting review" in again.json()["detail"]
    assert plat.post("/notifications/note-2/nope/approve", json={}).status_code == 404
    assert plat.post("/notifications/note-2/alert-email/edit", json={}).status_code == 400


async def test_notifier_killed_between_draft_and_send_sends_once(setup):
    plat, mailbox, receiver, _ = setup
    plat.webhook(alert("note-3", "no-such-target"))
    await eventually(lambda: "alert-email" in drafts(plat, "note-3"), timeout=20, what="draft")
    victim = plat.service_pid("notifier")
    os.kill(victim, signal.SIGKILL)
    cy = plat.user_key("cy@example.com", "operator")  # operators review notifications
    plat.post("/notifications/note-3/alert-email/approve", json={"by": "not-cy"}, headers={"X-API-Key": cy})
    await eventually(lambda: len(mailbox.for_incident("note-3")) == 1, timeout=30, what="mail after restart")
    assert plat.service_pid("notifier") != victim

    email = await eventually(lambda: (lambda n: n if n and n["status"] == "sent" else None)(
        drafts(plat, "note-3").get("alert-email")), timeout=10, what="e-mail recorded as sent")
    assert email["approved_by"] == "cy@example.com" and len(mailbox.for_incident("note-3")) == 1
    # the webhook went out before the kill, or its send was cut off and recorded as failed: never twice
    assert receiver.kinds("note-3").count("alert") <= 1
    # killed between its draft and its approval, the webhook is approved and sent when the notifier is back
    await eventually(lambda: drafts(plat, "note-3")["alert-webhook"]["status"] in ("sent", "failed"), timeout=10,
                     what="webhook settled")
    assert receiver.kinds("note-3").count("alert") <= 1


async def test_smtp_down_retries_then_fails_and_the_pipeline_goes_on(setup):
    plat, mailbox, receiver, smtp = setup
    smtp["controller"].stop()  # the mail server goes away
    try:
        plat.webhook(alert("note-4", "no-such-target"))
        result = await asyncio.to_thread(plat.wait_terminal, "note-4")
        assert result["status"] == "FAILED"  # the pipeline finished regardless of mail
        await eventually(lambda: "alert-email" in drafts(plat, "note-4"), timeout=20, what="draft")
        plat.post("/notifications/note-4/alert-email/approve", json={"by": "dee"})
        note = await eventually(lambda: (lambda n: n if n and n["status"] == "failed" else None)(
            drafts(plat, "note-4").get("alert-email")), timeout=30, what="notification failed after retries")
        assert "SMTP 127.0.0.1" in note["error"] and "password" not in note["error"].lower()
        await eventually(lambda: set(receiver.kinds("note-4")) == {"alert", "failure"}, timeout=20,
                         what="the webhook channel was not blocked")
        types = await stored_types(plat, "note-4")
        assert types.count("incident.notification_failed.v1") == 1
    finally:
        smtp["controller"] = Controller(mailbox, hostname="127.0.0.1", port=smtp["port"])
        smtp["controller"].start()
