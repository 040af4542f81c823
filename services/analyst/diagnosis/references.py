"""References are not observations: a runbook's steps, a wiki excerpt, a linked or suggested past incident, a
resolved ticket, a postmortem. "Runbook: 1. check for OOMKilled pods" is no OOM, and "related: INC-1180
'CrashLoopBackOff after deploy' (2 months ago, resolved)" is no crash now. From such a marker to the end of its
line, the text is blanked before signatures and readings look at it — with spaces, so every evidence snippet keeps
its place. What the line says before the marker still counts ("OOMKilled 3 times; related INC-12 resolved").

Dismissed statements are the text's own verdict that something it mentions is not this incident's: "DHL status
page: incident in APAC (we don't ship DHL APAC)", "billing-api 4.1 rolled out (different cluster, no dependency on
smsgw)", "Datadog status page: delayed ingestion -- explains graph gaps, not the crash". The statement — from the
start of its sentence or clause (a line, `;`, `|` or `. `) to its end — supports no situation; its words can still
cancel one (the engine matches `unless` patterns against the whole text)."""

from __future__ import annotations

import functools
import re

from services.analyst.diagnosis.lines import line_span
from services.analyst.diagnosis.names import related
from services.analyst.diagnosis.prefilter import Alternation, Prefilter

_MARKERS = re.compile("|".join((
    r"\b(runbook|playbook|wiki|kb article|knowledge base|sop)(?:\b|_)[^\n]{0,30}?(:|\bexcerpt\b|\bsays\b|\bsteps?\b)",
    r"\b(related|similar|linked|auto-?linked|suggested|previous|past|earlier)\b[^\n]{0,30}?"
    r"\b(incidents?|tickets?|issues?|postmortems?|outages?)\b",
    r"\b(tickets?|incidents?|issues?)\b[^\n]{0,10}?\b(auto-?linked|linked)\b",
    r"\b(links?|linked|references?|referenced|cites?|cited|points to)\s+(?:the\s+)?(?:inc|incident|ticket|jira|ops|sre|"
    r"problem|prb)[- ]?[a-z]*[- ]?\d+\b",
    r"\b(ticket|incident|alert) history\b",
    r"\b(postmortem|post-mortem|retrospective|incident review)\b",
    # a ticket id, not a chat channel's name and its clock ("#draw-ops 18:07: sales closed")
    r"(?<![\w#-])(ops|inc|jira|sre|ticket|chg)[- ]?\d+\b(?!:\d)[^\n]{0,120}?\b(resolved|closed|fixed|done)\b",
    r"\(\d+ (days?|weeks?|months?|years?) ago[^)\n]{0,30}\b(resolved|closed|fixed)\b",
)))


def reference_spans(lowered: str) -> list[tuple[int, int]]:
    """(start, end) of every reference: from its marker to the end of the line."""
    spans: list[tuple[int, int]] = []
    if not _may(_MARKERS, lowered):
        return spans
    for match in _MARKERS.finditer(lowered):
        if spans and match.start() < spans[-1][1]:
            continue  # inside a span already blanked
        end = lowered.find("\n", match.start())
        spans.append((match.start(), end if end >= 0 else len(lowered)))
    return spans


def blank(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with those spans replaced by spaces (same length)."""
    if not spans:
        return text
    parts, at = [], 0
    for start, end in spans:
        parts += [text[at:start], " " * (end - start)]
        at = end
    parts.append(text[at:])
    return "".join(parts)


_DISMISSAL_PHRASES = (
    r"\bunrelated\b", r"\bnot related\b", r"\bred herring\b", r"\birrelevant\b",
    r"(?<!or )(?<!not )(?<!nor )(?<!n.t )(?<!yet to be )\bruled out\b",
    r"\bnot (the|our|this) (cause|crash|problem|issue|culprit|outage|failure)\b",
    r"\bno dependency on\b", r"\bnot used by\b", r"\bnot urgent\b",
    r"\b(does not|doesn.t|never) (call|use|depend on|talk to|read from)\b",
    r"\bnot (our|this service.s|the service.s) (deployment|deploy|change|release|rollout)\b",
    # "The 21:00 deploy was patient-portal-results, not us": another service's release
    r"\b(deploy\w*|release|rollout|change)\b[^\n;|.]{0,60}[,;(—–-]\s*not (us|ours)\b",
    r"\b(we|and) (don.t|do not|never) (use|run in|ship|call|depend on|read from)\b",
    r"\b(region|product|replica|cluster|az|zone|datacenter|carrier)s? (that |which )?(we|our [\w-]+|[\w-]+) "
    r"(don.t|do not|doesn.t|does not|never) (use|run|ship|call|touch|depend|read)",
    r"\bdifferent (cluster|region|account|datacenter|data center|az|product)\b",
    r"\b(doesn.t|does not|didn.t|did not) (affect|impact|explain) (us|this|it|our|the [\w-]+ (path|service))\b",
    r"\bexplains nothing\b", r"\bno impact on (us|this|our|[\w-]+)\b",
    r"\bseparate (repo|repository|cluster|account|stack|system)\b",
    r"\bnot (on|in) (this|our) (cluster|account|region|namespace|project|stack|host)\b",
    r"\((a |an )?(different|another|other|separate) (service|team|team.s [\w-]+|app|application|component|system|"
    r"deployment|workload|statefulset|daemonset)\)",
    r"\bnot called (during|by|from|in|on)\b", r"\bnot (in|on) (the|this|our|its) ([\w'’-]+ ){0,2}path\b",
    r"\b(is|was) not it\b",
    # "advisory: allocation failures in East US 2 - we run in West Europe" (not "... - we run in eu-west-1 too")
    r"((?<=\s)[-–—]+\s|\(|\bbut )we (only )?(run|are|operate|deploy|host|live) (only )?in\b"
    r"(?![^\n;|]*\b(too|also|as well)\b)",
    # the text's own counter-evidence: "status page: maintenance 13:00-14:00 -- yet the healthy pods get 2xx from
    # it", "our EU sender uses the same aggregator and sent 120k messages meanwhile"
    r"\b(yet|but|while|whereas) (the |our |all )?(other |healthy |remaining |\d+ )*(pods|instances|replicas|nodes|"
    r"hosts|senders|workers|clients|consumers)\b[^\n;|]{0,40}\b(2xx|200s|fine|normally|without (errors|issues))\b",
    r"\((a |on a )?different (date|day|week|time|window|month)\)",
    r"\b(database|db|datastore) (is |was |stays |stayed )?unaffected\b",
    r"\ba different (deployment|workload|container|host|node|server|machine|vm|cluster|namespace)\b",
    r"\((the )?(app|service|we|it|ours) (is|are|runs?|lives?) (only )?in (?!it\b)[\w -]{2,30}\)",
    r"[-–—,] different (host|node|server|cluster|service)\b", r"(^|\n)\s*(informational|fyi)\s*:",
    r"\bseparate (deployment|service|app|application|codebase)\b",
    r"\bno shared (code|images?|librar(y|ies)|dependencies|database)\b",
    r"\b[\w-]+ (doesn.t|does not|don.t|do not|never) (call|use|depend on|talk to|read from) (it|them|this|that)\b",
    r"\b(which|that|it) (has|have) since been (replaced|deleted|removed|recycled|rescheduled)\b",
    r"\b(behave|behaves|look|looks|act|acts) (just )?like (the|all the) (others|rest)\b",
    # "Yesterday's GC alert on this app was resolved at 16:40": an earlier alert's end, no recovery of this one
    r"\b(yesterday|last night|last week|\d+ days ago)('s)? [^\n;|.]{0,50}\b(alert|alarm|page|incident|ticket)s? "
    r"[^\n;|.]{0,40}\b(was|were|got|has been|had been) (resolved|closed|cleared)\b",
    r"\buses? the same (aggregator|provider|partner|vendor|api|gateway|carrier|endpoint|upstream)\b[^\n;|]{0,60}"
    r"\b(fine|works|working|normally|healthy|unaffected|sent|succeed\w*|2xx|200s)\b",
)
# one alternation, screened phrase by phrase (prefilter.py): a text runs only the phrases whose words it has, where
# the whole alternation cost ~0.45 ms on every text
DISMISSALS = Alternation(re.compile("|".join(_DISMISSAL_PHRASES)), tuple(re.compile(p) for p in _DISMISSAL_PHRASES))
_CLAUSE_START = re.compile(r"[\n;|]|\. ")
# a failure counter at zero says the failure did not happen: Ansible's "unreachable=0 failed=0", "errors: 0",
# "restarts=0", over a stated window ("errors last 1h: 0"; only the counter itself is blanked: "changed=3" beside it is
# still read)
ZERO_COUNTERS = re.compile(r"(?<![\w-])(?:unreachable|failed|failures?|errors?|errs?|5xx|exceptions?|crash(?:es)?|"
                           r"restarts?|oom[\w-]*|timeouts?|rejected|dropped|panics?|killed|evicted|down)"
                           r"(?:[ \t]+(?:in[ \t]+)?(?:the[ \t]+)?(?:last|past)[ \t]+\d*[ \t]?(?:s|m|h|d|mins?|minutes?|"
                           r"hours?|hrs?|days?))?"  # "S3 PutObject errors last 1h: 0"
                           r"[ \t]?[=:][ \t]?0(?:\.0+)?(?![\d.,:/x%])")


# a resolved notice that names another alert ("(RESOLVED) DiskSpaceLow elev-north-01 /var 81 %", "[RESOLVED]
# PaymentProcessorLatency (processor back to 190ms)") says nothing of whether this one recovered; this alert's names
# are the text's first word (Evidence.text starts with the alert type) and its alertname label. Another alert is
# named the way rules are (CamelCase or snake_case), not with a word ("[RESOLVED] Deployment fin/x has not ...")
_FIRST_WORD = re.compile(r"[A-Za-z][\w.-]*")
_WORD = re.compile(r"[a-z0-9]{3,}")
_ALERTNAME_LABEL = re.compile(r"\balertname=([\w.-]+)")
_NOTICE = r"(?:\[resolved(?::\d+)?\]|\(resolved\)|\bresolved:)"  # "[RESOLVED:2]", "(RESOLVED)", "Resolved:"
_RESOLVED_NOTICE = re.compile(_NOTICE + r"[ \t]*([A-Za-z][\w.-]{5,})", re.IGNORECASE)
# the same notice in capitals without brackets, as chat relays print it ("#alerts 10:55 RESOLVED KubePodNotReady …")
_UPPER_RESOLVED = re.compile(r"(?<![\w-])RESOLVED[ \t]+([A-Za-z][\w.-]{5,})")
_RULE_NAME = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+|[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+")
# a quoted alert title marked resolved after it ('"Dependency failure: payments-psp" [RESOLVED] 09:40'): another
# alert's unless it shares half the words of this alert's title (its first line)
# ('"High CPU utilization etl-p-01" page is resolved', '"RabbitmqMemoryAlarm rmq-p-01" from this morning is resolved')
_QUOTED_RESOLVED = re.compile(r"[\"“]([^\"“”\n]{6,80})[\"”]"
                              r"(?:[ \t]+(?:page|alert|alarm|incident|notification|earlier|overnight|"
                              r"from (?:this|last) (?:morning|night|evening)|from earlier)){0,2}"
                              r"[ \t]*(?:\[resolved(?::\d+)?\]|\(resolved\)|"
                              r"(?:is |was |has been |got )?resolved\b(?! (?:to|as|via|from)\b))|"
                              # the notice first ('[RESOLVED] "sqs-ocr-intake-age" 07:55Z')
                              + _NOTICE + r"[ \t]*[\"“]([^\"“”\n]{6,80})[\"”]",
                              re.IGNORECASE)


# a monitor's notice naming the service it is about ("Datadog: [Recovered] redis-chat: replication link down"), as
# Datadog and Grafana print monitor titles that start with the service
_SERVICE_NOTICE = re.compile(r"\[(?:resolved|recovered|ok)(?::\d+)?\][ \t]*([a-z][a-z0-9]*(?:[-_.][a-z0-9]+)+):",
                             re.IGNORECASE)


def others_resolved(text: str, service: str = "") -> list[tuple[int, int]]:
    """(start, end) of each line whose resolved notice names an alert other than this one, or a service other than
    `service` (the alert's target)."""
    notices = [*_RESOLVED_NOTICE.finditer(text), *_UPPER_RESOLVED.finditer(text)]
    titled = list(_QUOTED_RESOLVED.finditer(text))
    serviced = [m for m in _SERVICE_NOTICE.finditer(text) if service and not related(m.group(1).lower(),
                                                                                       service.lower())]
    first = _FIRST_WORD.match(text)
    if first is None:  # no alert title to tell another alert's notice from this one's
        notices, titled = [], []
    if not (notices or titled or serviced):
        return []
    ours = {o for o in (first.group(0).lower() if first else "",
                        *(m.group(1).lower() for m in _ALERTNAME_LABEL.finditer(text))) if len(o) >= 4}
    others = [m for m in notices if _RULE_NAME.fullmatch(named := m.group(1).rstrip(".-"))
              and not any(named.lower().startswith(o) or o.startswith(named.lower()) for o in ours)]
    alert_words = set(_WORD.findall(text.split("\n", 1)[0].lower()))
    others += [m for m in titled if len(alert_words & set(_WORD.findall((m.group(1) or m.group(2)).lower()))) * 2
               < len(alert_words) or not alert_words]
    others += serviced
    spans = []
    for m in sorted(others, key=lambda m: m.start()):
        spans.append(line_span(text, m.start(), m.end()))
    return merged(spans)


def dismissed_spans(lowered: str) -> list[tuple[int, int]]:
    """(start, end) of every statement the text dismisses (its clause, start to end of line or `;` / `|`) and of
    every failure counter it gives as zero (the counter alone), in order, overlapping ones joined."""
    screen = prefilter().screen(lowered)
    spans: list[tuple[int, int]] = []
    if screen.may(DISMISSALS, None):
        for match in screen.narrowed(DISMISSALS).finditer(lowered):
            if spans and match.start() < spans[-1][1]:
                continue
            window = max(0, match.start() - 400)  # a clause longer than this is cut there
            starts = [m.end() for m in _CLAUSE_START.finditer(lowered, window, match.start())]
            start = starts[-1] if starts else window
            ends = [i for i in (lowered.find(c, match.end()) for c in "\n;|") if i >= 0]
            spans.append((start, min(ends) if ends else len(lowered)))
    if screen.may(ZERO_COUNTERS, None):
        spans = merged(spans, [m.span() for m in ZERO_COUNTERS.finditer(lowered)])
    return spans


def merged(*span_lists: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans of several lists in order, overlapping ones joined (what `blank` takes)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(s for spans in span_lists for s in spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


@functools.cache
def prefilter() -> Prefilter:
    return Prefilter((_MARKERS, DISMISSALS, ZERO_COUNTERS))


def _may(pattern: re.Pattern[str], lowered: str) -> bool:
    """False only when the one prefilter pass rules the pattern out (prefilter.py): most texts reference and dismiss
    nothing, and these two long alternations cost ~0.8 ms per text to run."""
    return prefilter().screen(lowered).may(pattern, None)
