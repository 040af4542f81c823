"""Where notifications go: SMTP e-mail, a generic JSON webhook, a Slack-compatible incoming webhook."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

import httpx

from shared.config import Settings
from shared.errors import TransientError


class ChannelError(TransientError):
    """A channel could not deliver (connection, auth, HTTP error)."""


@dataclass(frozen=True)
class Outgoing:
    """One message to deliver."""

    incident_id: str
    kind: str
    subject: str
    body: str
    recipients: tuple[str, ...]


class EmailChannel:
    """SMTP with implicit TLS, STARTTLS or plain; login when a user is configured."""

    name = "email"

    def __init__(self, s: Settings) -> None:
        self.s = s

    def recipients(self) -> tuple[str, ...]:
        return tuple(self.s.email_recipients)

    def _send(self, m: Outgoing) -> None:
        s = self.s
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = m.subject, s.email_sender, ", ".join(m.recipients)
        msg["X-AegisOps-Incident"] = m.incident_id
        msg.set_content(m.body)
        context = ssl.create_default_context()
        try:
            if s.smtp_tls == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=10, context=context)
            else:
                client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=10)
            with client:
                if s.smtp_tls == "starttls":
                    client.starttls(context=context)
                if s.smtp_user:
                    client.login(s.smtp_user, s.smtp_password)
                client.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:  # the password never appears in these messages
            raise ChannelError(f"SMTP {s.smtp_host}:{s.smtp_port}: {type(exc).__name__}: {exc}") from None

    async def send(self, m: Outgoing) -> None:
        await asyncio.to_thread(self._send, m)


class WebhookChannel:
    """POST the notification as JSON to each configured URL. A webhook URL is a credential in itself, so events,
    the API and errors name each one by a label ("webhook 1 (hooks.example.org)"); the URL is read from the
    settings only when sending."""

    name = "webhook"

    def __init__(self, s: Settings) -> None:
        self.urls = list(s.notify_webhook_urls)

    def label(self, index: int) -> str:
        """What events and errors call the URL at `index`: the channel, its number and the host alone."""
        return f"{self.name} {index + 1} ({urlsplit(self.urls[index]).hostname or '?'})"

    def recipients(self) -> tuple[str, ...]:
        return tuple(self.label(i) for i in range(len(self.urls)))

    def _url(self, label: str) -> str:
        for i, url in enumerate(self.urls):
            if self.label(i) == label:
                return url
        raise ChannelError(f"{label} is no longer configured")

    def payload(self, m: Outgoing) -> dict:
        return {"incident_id": m.incident_id, "kind": m.kind, "subject": m.subject, "body": m.body}

    async def send(self, m: Outgoing) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            for label in m.recipients:
                try:
                    (await client.post(self._url(label), json=self.payload(m))).raise_for_status()
                except httpx.HTTPStatusError as exc:
                    raise ChannelError(f"{label}: HTTP {exc.response.status_code}") from None
                except httpx.HTTPError as exc:  # its text may quote the URL
                    raise ChannelError(f"{label}: {type(exc).__name__}") from None


class SlackChannel(WebhookChannel):
    """A Slack-compatible incoming webhook: {"text": ...}."""

    name = "slack"

    def __init__(self, s: Settings) -> None:
        self.urls = [s.slack_webhook_url] if s.slack_webhook_url else []

    def payload(self, m: Outgoing) -> dict:
        return {"text": f"*{m.subject}*\n{m.body}"}


def configured_channels(s: Settings) -> list[EmailChannel | WebhookChannel]:
    """Every channel with somewhere to send to."""
    out: list[EmailChannel | WebhookChannel] = []
    if s.smtp_host and s.email_sender and s.email_recipients:
        out.append(EmailChannel(s))
    if s.notify_webhook_urls:
        out.append(WebhookChannel(s))
    if s.slack_webhook_url:
        out.append(SlackChannel(s))
    return out


async def send_with_retries(channel, m: Outgoing, attempts: int, backoff: float = 0.5) -> int:  # type: ignore[no-untyped-def]
    """Deliver, retrying transient failures with doubling delays; returns the attempts used."""
    for attempt in range(1, attempts + 1):
        try:
            await channel.send(m)
            return attempt
        except ChannelError:
            if attempt == attempts:
                raise
            await asyncio.sleep(backoff * 2 ** (attempt - 1))
    return attempts
