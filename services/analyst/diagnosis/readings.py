"""Numbers read from alert text — utilisation, replicas, demand against a baseline, time since a deploy — and
the yes/no readings ("features") the signatures ask for. Pure; every reading says where it came from."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from services.analyst.diagnosis.backlog import draining
from services.analyst.diagnosis.cohorts import before_after_alike, services_fail_alike, versions_fail_alike
from services.analyst.diagnosis.limits import autoscaler_room, lowered_limit
from services.analyst.diagnosis.lines import line_of, line_span
from services.analyst.diagnosis.names import related as _related
from services.analyst.diagnosis.names import tokens as _tokens
from services.analyst.diagnosis.prefilter import Alternation, Prefilter, Screen, Screenable, top_level_branches
from services.analyst.diagnosis.references import DISMISSALS as _DISMISSALS
from services.analyst.diagnosis.sidecars import sidecar_alerted
from services.analyst.diagnosis.uptime import memory_shape, memory_tracks_uptime

_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "few": 3,
                 "several": 3, "couple of": 2, "a couple of": 2}
_UNIT_MINUTES = {"s": 1 / 60, "sec": 1 / 60, "secs": 1 / 60, "second": 1 / 60, "seconds": 1 / 60,
                 "m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1,
                 "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60,
                 "d": 1440, "day": 1440, "days": 1440, "w": 10080, "wk": 10080, "wks": 10080, "week": 10080,
                 "weeks": 10080, "month": 43200, "months": 43200}
_NUM = r"(\d+(?:\.\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|few|several|(?:a )?couple of)"
_UNIT = r"(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w|months?)"
# an age, also compound ("3h 10m", "1 hour and 20 minutes", "2d 4h"): read whole, never as its last part
_AGE = rf"(?P<age>{_NUM}\s*{_UNIT}(?:,?\s*(?:and\s+)?\d+(?:\.\d+)?\s*{_UNIT}\b)*)"
_AGE_FIRST = re.compile(rf"{_NUM}\s*{_UNIT}(?![a-z])")  # "2h05m": a unit may run into the next part's digits
_AGE_MORE = re.compile(rf"(\d+(?:\.\d+)?)\s*{_UNIT}(?![a-z])")


def _unless_after(word: str, *before: str) -> str:
    """`word` (a fixed-width regex) where none of `before` ends right before it, written as look-behinds *after* the
    word: `releas(?<!lock releas)`. The regex engine then skips every position whose letter cannot start the word;
    a look-behind written first is tried at every position of the text (3x the time of the whole deploy scan)."""
    return word + "".join(f"(?<!{b}{word})" for b in before)


# "previous index released", "lock released at 10:02": a resource let go is no release of software
_RESOURCES = ("index ", "indexes ", "lock ", "locks ", "memory ", "buffer ", "buffers ", "connection ", "connections ",
              "lease ", "handle ", "handles ", "semaphore ", "slot ", "slots ", "resources ", "cache ")
# "pushed" as a release: not "pushed 1.2k messages", nor a message pushed to users ('pushed "book now" at 08:00')
_PUSHED = r"pushed(?! [\d][\d,.]*[km]? (?!to\b|at\b|on\b|in\b)[a-z]{3,})(?! ?[\x22\u201c])"
# Every alternative starts with a letter (no group, no look-behind first), so the engine skips to the letters that
# can start one.
# "restarted deploy/notif-dispatcher": kubectl's name for a Deployment, restarted or scaled, is no release
_DEPLOY = ("(" + _unless_after("deploy", "restarted the ", "restart the ", "restarting the ", "scaled the ", "[_.{]",
                               "restarted ", "restart ", "restarting ", "rollout restart ", "scale ", "scaled ")
           + r"(?:ed|ments?|s|ing)?(?![\w{]|\.[a-z])(?! \d+/\d+)|"
           r"roll(?:ed)?[- ]?out(?! restart)|rollout(?! restart)|" + _unless_after("releas", *_RESOURCES, "never ")
           + r"(?:e(?!\s*\()|ed)|"
           # a node's, cluster's or kernel's upgrade is the platform's change, not a release of the service
           + _unless_after("upgrad", "node ", "nodes ", "node pool ", "nodepool ", "cluster ", "kernel ", "firmware ",
                           "os ", "environment ", "surge ",
                           # an HTTP connection's protocol switch ("rejecting websocket upgrade"), no release
                           "websocket ", "ws ", "connection ", "protocol ", "http ") + r"(?:e|ed)|helm|argo ?cd|"
           r"argo ?cd sync(?:ed)?|" + _unless_after("synced", "last ", "last successfully ")
           + r"(?= \d+ ?(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?) ago)|flux sync(?:ed)?|helm sync(?:ed)?|app sync(?:ed)?|synced to|sync(?:ed)? to (?:revision|commit|tag)|"
           r"image(?: tag)?(?![-_\w=])(?! (?:resiz|process|upload|render|optimi|convert|thumbnail|scal|crop|recogn|classif|pull)\w*)|revision [\w.-]+ (?:to|at|serving) \d+ ?%|new version(?<!no new version)|"
           # a runtime's or a platform's version ("# JRE version: …" heading a JVM crash report) is no release of ours
           + _unless_after("version", "framework ", "runtime ", "protocol ", "clr ", "tls ", "http ", "jre ", "jvm ",
                           "jdk ", "java ", "kernel ", "python ", "php ", "ruby ", "erlang ", "otp ", "openssl ",
                           "glibc ", "driver ", "firmware ", "bios ", "sdk ",
                           # a setting's bound ("dicom tls: MinVersion TLS1.1 is deprecated")
                           "min", "max", "min_", "max_", "min-", "max-")
           + r"(?![=_a-z-])|"
           + _unless_after("v", r"node\.js ", "nodejs ", "node ", "bun ", "framework version: ", "framework version ",
                           "runtime version: ", "runtime version ",
                           # the version a rollback went back to is no new release ("rolled back to v2.13.2")
                           "back to ", "reverted to ", "revert to ") + r"\d+\.\d+[\w.\-]*"
           # a client library's version in a connection's name ('"v0.1.4:go:NATS CLI Version 0.1.4"'), no release
           + r"(?![\w.\-]*:(?:go|java|node|nodejs|python3?|py|ruby|rust|c|dotnet|net|elixir|swift|js|ts)\b)|canary|config(?:uration)? (?:change|push|update)|"
           r"bump(?:ed|s)?(?= [\w./@-]+ to v?\d| (?:the )?(?:image|version|tag|chart)\b)|task[- ]?definition(?: revision)?(?= [\w-]+:\d)|feature flag|feature [\x22'\u201c\u2018][\w.:/-]+[\x22'\u201d\u2019] (?:enabled|disabled|turned on|switched on|rolled out)|flag(?!s\b)(?! not\b| never\b| stuck\b| still set\b)|config ?map|checksum/config|migration|cutover|revision \d+(?![\da-f]*[a-f])|shipped|"
           r"version went out|release went out|build went out|fix went out|patch went out|change went out|" + _PUSHED
           + r"(?! to (?:the )?(?:historian|pushgateway|influx\w*|graphite|statsd|kafka|topic|queue|s3|bucket|warehouse|"
           r"bigquery|snowflake|elasticsearch|opensearch|splunk|dashboards?|subscribers|devices|clients|users)\b)|terraform|"
           r"kubectl apply|helm apply|terraform apply|tf apply|pulumi apply|ansible apply|apply (?:finished|complete\w*|done|succeeded)|"
           r"ansible|awx|playbook|pulumi|spinnaker|jenkins(?!:? [\w.-]+ #\d+ (?:failed|failure|unstable|aborted|still failing))|github actions|argo ?cd|flux(?:cd)?(?![a-z])(?<!influx)|launchdarkly|flipper|unleash|flagsmith|"
           r"vcl\.(?:load|use)|remote config|applied|"
           + _unless_after("merged", "not ", "never ", "not yet ", "n.t been ", "not been ")
           + r"(?! \d[\d,.]*[kmb]? (?:small |big |\w+ )?(?:parts?|rows|segments?|chunks?|blocks?|partitions?|files|shards?|sstables?|runs|pages)\b)|gitops|reloaded (?:its |the )?(?:dynamic )?config(?:uration)?|"
           r"growthbook|statsig|toggle|swap(?:ped)? (?:web app )?slots?|slot swap|promot(?:ed|ion) to (?:prod\w*|stable|live)|"
           # configuration management and package managers change a host as much as a deploy does
           r"chef(?: infra)? client|chef-client|puppet(?:[- ]agent)?|applied catalog|salt-call|highstate|"
           r"resources? (?:updated|changed)|packages? (?:upgraded|updated|installed|altered)|"
           r"dnf (?:-y )?(?:upgrade|update|install)|yum (?:-y )?(?:upgrade|update|install)|"
           r"apt(?:-get)? (?:-y )?(?:upgrade|update|install)|zypper (?:-y )?(?:upgrade|update|install)|unattended-upgrades?|capistrano)")
_DEPLOY_WORD = re.compile(_DEPLOY)
# _DEPLOY's alternatives one by one (none has a group of its own): a regex led by a deploy word runs as one branch per
# alternative, so a text runs only the branches whose words it holds, each from its literal start; the whole regex
# tried the ~80 alternatives at every position of the text (~100 µs a text for _DEPLOY_AT alone)
_DEPLOY_ALTERNATIVES = tuple(top_level_branches(_DEPLOY[1:-1]))


def _deploy_led(tail: str, *after: str) -> Alternation:
    """`_DEPLOY + tail` (then the regexes `after`, as further branches), as an Alternation with a branch per deploy
    alternative: `(word)tail`, so every branch keeps the deploy word in group 1 and the tail's groups numbered as
    in the whole."""
    whole = re.compile("|".join(f"(?:{b})" for b in (_DEPLOY + tail, *after)))
    return Alternation(whole, (*(re.compile(f"({word}){tail}") for word in _DEPLOY_ALTERNATIVES),
                               *(re.compile(b) for b in after)))
# the gap never crosses another field's time: "First seen 2024-01-17 in release 5.9.0 | Last seen: 14 minutes ago"
# (Sentry) dates the error, not the release
# the age of something else's last event between them is not the deploy's ("same agent version): last_sync 38s ago")
_DEPLOY_THEN_AGE = _deploy_led(r"(?:(?!last[ _-]?(?:seen|event|occurr|sync|heartbeat|run|check|poll|scrape|"
                                r"success|contact|update|ping)|\| )[^\n;]){0,60}?\b" + _AGE + r"\s*(ago|before|earlier|prior)")
_AGE_THEN_DEPLOY = re.compile(rf"\b{_AGE}\s*(after|since|following|post)[- ](?:the |a |our |its |this )?"
                              rf"(?:\w+ )?{_DEPLOY}")
_DEPLOY_AGO_WORDS = _deploy_led(r"[^\n;]{0,40}?\b(yesterday|last (?:week|month)|(?<!\d )days ago|"
                                r"(?<!\d )weeks ago|(?<!\d )months ago|last night)")
_RECENT_DEPLOY_WORDS = Alternation.of(
    r"(right|just|immediately|shortly|minutes|seconds|directly|soon) after (?:the |a |our |its |this |today.s )?"
    r"(?:\w+ )?(deploy|release|rollout|roll-out|upgrade|helm upgrade|sync|cutover|config change|image (bump|update)|"
    r"version bump|canary|migration)",
    r"(?<!\bno )(new|latest|fresh) (image|version|release|build|tag|revision)\b",  # not "no new version written"
    # a rollout that is in progress now: the new ReplicaSet's pods fail while the old one still serves ("2 pods of
    # 3.13.2 still serving")
    r"kubedeploymentrolloutstuck",
    r"\b\d+ pods? (?:of|on) (?:v|revision |rev )?\d+(?:\.\d+)*[\w.-]* still (?:serving|running|up)\b",
    r"progress ?deadline ?exceeded",
    r"has timed out progressing",
    r"rollout (?:is )?(?:stuck|stalled|not progressing)",
    r"new (?:replica ?set|rs)\b[^\n]{0,60}\b(?:crash ?loop\w*|0/\d+|not ready|fail\w*|pending)",
    r"waiting for deployment \S+ rollout to finish",
    r"\brollout progress:? \d+ of \d+ updated\b",
    # "uptime 11 days = time since last deploy" measures an age, it does not tie the failure to the deploy
    r"(?<!time )(?<!uptime )since (?:the |this |today.s |this morning.s |our |its )?(?:latest |new |recent |last )?"
    r"(deploy|release|rollout|upgrade|cutover|config (change|push)|v\d)",
    r"(just|recently|newly) (deployed|released|rolled out|upgraded|shipped)",
    r"(deploy|release|rollout|upgrade) (in progress|just finished|completed) ",
    r"coincid\w* with (the )?(deploy|release|rollout)",
    r"began with (the )?(deploy|release|rollout|new)",
    r"after (the )?(deploy|release|rollout|upgrade) (of|to) ",
    r"(deployed|rolled out|" + _unless_after("released", *_RESOURCES)
    + r"|upgraded|shipped|" + _PUSHED + r")"
    r"(?:(?!yesterday|last |ago|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{4}-\d\d-\d\d)[^\n.;]){0,50}?"
    r"\b(at|@) \d{1,2}:\d{2}",
    r"new (image|version|release|build) (v?\d|rolled|deployed|went)",
    r"(feature flag|flag|config ?map|config(uration)?|setting|toggle|feature|env(ironment)? var\w*|image(?: tag)?)\b"
    # not across a table's columns ("NAME  CONFIG                   UPDATED   UPDATING" heads `oc get mcp`)
    r"(?:(?! {3}|\t)[^\n]){0,60}(?<!last )\b(changed|updated|flipped|toggled|enabled|switched|turned on|rolled out|applied|"
    r"edited|"
    r"published)(?!:? (?:on |since )?(?:\d{4}-\d\d-\d\d|yesterday|last (?:week|month)|\d+ (?:days|weeks|months) ago))",
    r"(?:\(|, )(?:was|previously|previous|prev|from) v?\d+\.\d+(?:\.\d+)*(?:[-+][\w.]+)?\)",
    r"(?:task[- ]?definition|revision) [\w-]*:\d+ ?(?:->|→|=>) ?[\w-]*:\d+",
    # a version changing: "v1.4 -> v1.5", "2.3.1 → 2.4.0", "image tag 4.2 -> 4.3"; not a value ("TSH low 0.27->0.40"),
    # nor an address: a resolver's answer ("dig x @10.40.0.53 -> 185.60.8.22") or a flow ("10.4.2.3 -> 192.0.2.45:3333")
    r"(?:\bv\d+\.\d+(?:\.\d+)*|(?<![@.\d])\b\d+\.\d+\.\d+(?:\.\d+)*|(?:version|image|tag|release|chart|build|helm|revision|"
    r"(?<!cluster )(?<!node )(?<!nodes )(?<!node pool )(?<!nodepool )(?<!kernel )(?<!firmware )(?<!os )(?<!k8s )"
    r"(?<!kubernetes )(?<!control plane )upgrad\w*|bump\w*)[^\n;]{0,30}?\b\d+\.\d+(?:\.\d+)*)(?:[-+][\w.]+)?(?![\w%]) ?"
    r"(?:->|→|=>) ?v?\d+\.\d+(?![\w%])(?!(?:\.\d+){2}:\d)"
    r"(?!\s*(?:cores?|cpus?|ms|s|sec|seconds|x|rps|qps|req/s|/s|gi?b?|mi?b?)\b)",
    r"(changed|updated|flipped|toggled|enabled) [^\n]{0,30}(feature flag|config ?map|configuration)")
# a configuration run that changed nothing: "Applied catalog in 9 s (02:40, 0 resources changed)"
# "0 resources changed", Ansible's "changed=0", Puppet's "Changes: Total: 0"
# "ansible.log show nothing between 03:00 and 03:30": a log of changes that shows none dates no change
_NOTHING_CHANGED = re.compile(r"\b(no|0|zero) (resources?|packages?|files?) (changed|updated|altered)\b|\bchanged[=:] ?0\b|"
                              r"\b(0|zero) changes\b|"
                              r"\b(reconcil\w*|sync\w*|apply|plan)\b[^\n]{0,60}\W(no changes|up[- ]to[- ]date|nothing to "
                              r"(do|apply|change))\b|"
                              r"\bchanges:? ?total:? ?0\b|\b(shows?|showed|has|have|had|lists?|logged|records?|recorded) "
                              r"(nothing|no (runs?|entries|changes|jobs?))\b")
# "no config changes outside the image": the image is the change
_BUT_THE_RELEASE = r"(?! (?:outside|besides|other than|apart from|except(?: for)?) (?:the |this |that |its )?(?:new )?(?:image|release|deploy\w*|rollout|version|upgrade|build)\b)"
_NO_DEPLOY = Alternation.split(r"no (recent |new )?(deploy|release|rollout|change|config change)s?\b" + _BUT_THE_RELEASE + r"|"
                        r"\bno (?:[\w-]+ (?:or|and|/) ){1,3}[\w-]+ changes?\b" + _BUT_THE_RELEASE + r"|"  # "no package or config change since"
                        r"no [\w-]+ (deploy|release|rollout)s? since\b|"
                        # "(client patch, no backend deploy)": the release was a client's, not the service's
                        r"\bno (?:backend|server(?:-side)?|service|api|code|app) (?:deploy|release|rollout|change)s?\b|"
                        r"nothing (was )?"
                        r"(?:deployed|released|changed)|\bno\b(?:(?!since|after|until|before|when|because|but|then)[^\n.;]){0,30}\b(config(uration)?|deploy\w*|release|settings?|"
                        r"image|version)s? (was |were |has been |have been )?(changed|deployed|made|applied|pushed|updated)|"
                        r"(deploy|release|rollout)s? (are )?frozen|code freeze|pipeline (is )?frozen|no (new )?(build|image|release|revision|version|task definition)s? since|not yet applied|"
                        r"unchanged (since|for)|not (related to|caused by) (the |a )?(deploy|release)|"
                        r"(deploy|release|rollout|change)s?:? (none|nothing)\b|" + _NOTHING_CHANGED.pattern)
# A deploy the text itself clears: it went out after the failures began, they look the same before and after it,
# or the previous version fails the same way
_DEPLOY_CLEARED = Alternation.split(
    r"(succeeded|worked|working|fine|healthy|clean)\w* from \d{1,2}:\d{2} until \d{1,2}:\d{2}\b|"
    # "payment success 99.2% from 16:05 to 19:04"
    r"\b(success\w*|succeeded|worked|working|fine|healthy|clean|normal)\b(?:[^\n.;]|\.\d){0,20}\bfrom \d{1,2}:\d{2} "
    r"?(to|until|till|through|-|–) ?\d{1,2}:\d{2}\b|"
    r"(went out|shipped|ships|deployed|rolled out|released|landed|merged|pushed)[^\n.;]{0,40}\bafter (it|this|that|the "
    r"(errors?|problems?|issues?|slowdown|crash(es)?|spikes?|incident|alerts?|outage|latency|failures?|symptoms?)|"
    r"they|errors|failures)( had)? (started|began|fired|was already|were already)|"
    r"\b(v?\d+\.\d+[\w.-]*|old (version|release|build|image|pods?)) (crashed|failed|errored|broke) first\b|"
    r"(started|began) (well |already |(almost |about |nearly |over |some |~)?\d+ ?(min|minutes|m|h|hours) )?before "
    r"(the |our |this |that )?(deploy|release|rollout|hotfix|change|push|upgrade|new version|sync|v?\d+\.\d)|"
    r"(predates?|pre-dates?|preceded?s?) (the |our |this |that )?(deploy|release|rollout|hotfix|change|upgrade)|"
    # "first went above 1.5s at 13:41, 24 minutes before that deploy"
    r"(went above|went over|fired|alerted|crossed|first seen|started|began|rose|spiked)(?:[^\n.;]|\.\d){0,40}\b(\d+|one|two|three|four|"
    r"five|ten|fifteen|twenty|thirty|a few) ?(s|sec|seconds?|min|mins|minutes?|m|h|hours?) before (the |our |this |that )?"
    r"(\d{1,2}:\d{2} )?(deploy|release|rollout|upgrade|change)\b|"
    r"(identical|the same|same|unchanged|no different|no change|not changed)[^\n.;]{0,25}before (and|&|/) ?after|"
    r"before ?/ ?after[^\n.;]{0,15}(identical|the same|unchanged)|"
    r"(old|previous|prior)[- ](version|release|build|image|revision)[- ]?(pods?|instances?|hosts?|replicas?|containers?)?"
    r"[^\n.;]{0,30}(the )?same (way|errors?|crash\w*|symptoms?)|"
    r"(flat|unchanged|steady|the same|normal) (across|through|before and after|over) (the |that |this )?(deploy|release|"
    r"rollout|upgrade|change)|"
    # the new release worked at first: "first sync after the deploy (09:40) succeeded"
    r"\bfirst (sync|run|request|job|batch|call|poll|import|check|login|payment|build)e?s? after (the |our |this |that )?"
    r"(deploy|release|rollout|upgrade)\w*(?: \(?(?:at )?\d{1,2}:\d{2}\)?)? (succeeded|worked|was fine|went fine|passed|was ok)|"
    # the same release works elsewhere: "39 other Moodle sites syncing on the same build"
    r"\bother [^\n.;]{0,40}\b(syncing|working|fine|healthy|unaffected|succeed\w*|ok)\b[^\n.;]{0,20}\bon the same "
    r"(build|version|release|image)\b|"
    # the release's new paths and the old ones fail alike: "both the new downsample queries and the old ones, all slow"
    r"both the new [^\n.;]{0,60}\band the (old|existing|previous|unchanged) [^\n.;]{0,60}\b(all |both |equally )?"
    r"(slow|fail\w*|erroring|affected|time? ?out)")
# a release that has been out for days: its age stated in words ("v8.12 has been out since May 28")
_OUT_SINCE = re.compile(r"(has been|had been|was|been) (out|live|running|deployed|in prod\w*)"
                        r"(?: (?:on|in|across) [^\n.;(]{0,25}?)? (since (mon|tue|wed|thu|fri|"
                        r"sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|last|\d{4}-)|for (a|\d+|several|two|three|"
                        r"many) (days?|weeks?|months?))")
_MEMORY_PCT = re.compile(r"(memory|rss|heap|working[ _]set|(?<![a-z])(?:mem|ram))\b(?:(?!swap|cpu|disk|load|inode)[^\n%;,]){0,40}?"
                         r"(\d{1,3}(?:\.\d+)?)\s?%|"
                         r"(\d{1,3}(?:\.\d+)?)[ \t]?%[ \t]*(?:of[ \t]*)?(?:the[ \t]*)?(?:\w+[ \t])?(mem(?:ory)?|heap|ram|rss)\b")
# "CPU 97% idle" is 3% busy: an idle, free, steal or wait share is no utilisation
# "usage" / "utilisation" alone is the CPU's unless another resource names it ("memory usage above 90%")
_NOT_CPU_BEFORE = "".join(rf"(?<!{w} )" for w in ("memory", "mem", "ram", "heap", "disk", "storage", "volume", "inode",
                                                    "pool", "connection", "connections", "swap", "bandwidth", "quota",
                                                    "gpu", "network", "filesystem", "fs", "space", "license", "api"))
# a whole figure: "influxd 2310% CPU" (top, 32 cores) is no 310 %
_CPU_PCT = re.compile(rf"(cpu|processor|load|{_NOT_CPU_BEFORE}(?:utili[sz]ation|usage))\b(?:(?!idle|free|steal|iowait)[^\n%;]){{0,30}}?"
                      r"(?<![\d.])(\d{1,4}(?:\.\d+)?)\s?%(?!\s*(?:idle|free|steal|iowait|wait)\b)|"
                      # "97% CPU" on one line: "… -> 6.5%" ending a line is no CPU figure of the next ("CPU per pod 91%")
                      r"(?<![\d.])(\d{1,4}(?:\.\d+)?)[ \t]?%[ \t]*(?:of[ \t]*)?(?:(?:its|the|a)[ \t]+)?(?:\d+(?:\.\d+)?[- ]?)?"
                      r"(?:\w+[ \t])?"
                      r"v?(cpu|processor|core)s?\b(?![- ](?:reserved|allocated|requested|committed)\b)")
# "instances 4/4 healthy" after a CPU figure counts instances, not cores
_COUNTED_BEFORE = "".join(f"(?<!{word}{gap})" for word in ("instances", "pods", "replicas", "nodes", "hosts", "workers",
                                                            "tasks", "containers", "members", "ready", "healthy")
                          for gap in (" ", ": ", "="))
_CPU_CORES = re.compile(r"(?<![\w-])(cpu|cores?|vcpu|process_cpu|cpu_usage|container_cpu)[^\n;]{0,50}?"
                        rf"{_COUNTED_BEFORE}(\d+(?:\.\d+)?)\s*(?:cores?|vcpus?|cpus?)?"
                        r"\s*(?:of|/|out of|\(limit:?|limit:?|of a limit of|of an? )\s*(\d+(?:\.\d+)?)\s*(?:cores?|vcpus?|cpus?)?"
                        r"(?!\s*(?:hosts?|nodes?|servers?|instances?|pods?|replicas?|machines?|vms?|members?|tasks?|containers?|workers?)\b)")
_LOAD = re.compile(r"(load(?: ?average)?s?|node_load1|load1)\b\D{0,15}?(\d+(?:\.\d+)?)[^\n]{0,30}?\b(?:on|with|/|of)\s*"
                   r"(\d+)\s*(?:v?cpus?|cores?|processors?)")
_CPU_CURRENT = re.compile(r"(cpu|processor)[^\n]{0,80}?\b(?:current(?:ly)?|value|now)\b\s*[:=]?\s*(\d{1,3}(?:\.\d+)?)\s?%")
_PCT_CPU_FIRST = re.compile(r"%\s?(?:cpu|processor time|processor utility|user time)\b\s*[:=]?\s*(\d+(?:\.\d+)?)|"
                            # dotnet-counters' "CPU Usage (%)     1"
                            r"\b(?:cpu|processor) (?:usage|utili[sz]ation|time) \(%\)[ \t]*[:=]?[ \t]*(\d+(?:\.\d+)?)")
_MEMORY_RATIO = re.compile(r"(\d+(?:\.\d+)?)\s*(gi|mi|gb|mb|g|m)i?b?\s*(?:/|of|out of)\s*(?:the\s*)?(?:limit\s*(?:of\s*)?)?"
                           r"(\d+(?:\.\d+)?)\s*(gi|mi|gb|mb|g|m)i?b?")
_REPLICAS = re.compile(r"(\d+)[ \t]*(?:/[ \t]*(\d+)[ \t]*)?(?:running |ready |healthy |idle |active )?(replicas?|pods?|"
                       r"instances?|tasks?|containers?|nodes?|workers?|copies)\b|(replicas?|pods?|instances?)\s*[:=]\s*"
                       r"(\d+)")
_RATIO = re.compile(r"(\d+(?:\.\d+)?)\s?[x×]\s*(?:the\s*|its\s*|their\s*|a\s*)?(?:\d+[- ]?(?:days?|d|weeks?|w|hours?|h)\s*)?"
                    r"(?:usual|normal|baseline|average|avg|mean|typical|"
                    r"weekly|daily|expected|regular|peak|forecast|last week)|"
                    # "throughput 3.4x", "requests up 2x": a demand word and a bare multiple, nothing between
                    r"(?<![\w-])(?:throughput|traffic|requests|request rate|rps|qps|load|demand|orders|sessions|signups|"
                    r"logins|checkouts|ingest|messages|events)(?: (?:is|at|up|now))? (\d+(?:\.\d+)?)\s?[x×](?!\w|\.\d)")
# "3.4x vs last week", "4.1x same hour yesterday": a multiple of a past period, read only next to a rate word (a
# latency three times last week's is no demand)
_RATIO_VS_PERIOD = re.compile(r"(\d+(?:\.\d+)?)\s?[x×]\s*(?:vs\.?|versus|over|compared (?:to|with)|of)?\s*(?:the\s*)?"
                              r"(?:same (?:hour|day|time|period|weekday|minute)(?: (?:last (?:week|year|month)|yesterday))?"
                              r"|last (?:week|year|month)(?:end)?(?:.s)?(?: peak)?|yesterday|previous (?:week|day|period|peak)"
                              r"|(?:last|previous) (?:season|launch|sale|event)(?:.s)? peak)")
_PCT_ABOVE = re.compile(r"(\d{2,4})\s?%\s*(above|over|more than|higher than|up (on|from|vs\.?|over)|vs\.?|versus|"
                        r"compared to|on)\s*(the\s*)?(same \w+ )?(baseline|normal|usual|average|typical|last week|"
                        r"yesterday|forecast|week|day|hour)|\+(\d{2,4})\s?%\s*(vs\.?|versus|compared|over|above|wow|dod|on)")
_FROM_TO = re.compile(r"from\s*~?(\d[\d,.]*)\s*(k|m(?![a-z/]))?\s*(rps|req/s|requests|qps|rpm|msg/s|messages|jobs|/s)?\s*to\s*~?"
                      r"(\d[\d,.]*)\s*(k|m(?![a-z/]))?\s*(rps|req/s|requests?|qps|rpm|msg/s|messages|jobs|/s)")
_PAREN_NORMAL = re.compile(r"(?<![\d:.,])(\d[\d,.]*)(?!\d)[ \t]*(?:(k)[ \t]*)?(?:(?:/s|/min|rps|qps|req/s|req/min|rpm|msgs?/s|msgs?/min|jobs/s|jobs/min|events/s|events/min|per second)[ \t]*)?(?:[(,;][ \t]*)?"
                           r"(?:\d+[- ]?(?:day|d|week|w)\s*)?(?:normally|usually|normal|typically|typical|baseline|avg|average|was|up from|from|expected(?: band| range)?|"
                           r"same (?:time|hour|day|period|weekday) (?:last|previous|a) [a-z]+|"
                           # "640 (Tuesday last week 655)"
                           r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday) (?:last|previous) week|"
                           r"last (?:week|month|year)|"  # "410/s (last month 240/s)"
                           r"previous(?: \d+)?(?: [a-z]+)?)\s*(?::\s*)?~?"
                           # a range ("7-9k") is its low end, with the range's suffix; a figure inside it is flat
                           r"(?:(?:for )?(?:this|the same|same) (?:hour|day|time)\s*(?::\s*)?)?(\d[\d,.]*)(?![\d,.]*xx)"  # not "· 5xx 0"
                           r"(?:\s*[-–]\s*\d[\d,.]*)?\s*(k)?")
# "1,820 req/s (same weekday, last 4 weeks avg: 760 req/s)", "2,950 msg/min at 08:40 vs mean 1,530 msg/min": a rate, a
# baseline word, then a figure in the same unit (\3: the unit must repeat, so two figures of one kind are compared)
_RATE_THEN_BASE = re.compile(r"(?<![\d:.,])(\d[\d,.]*)[ \t]*(?:(k)[ \t]*)?(req/s|req/min|rps|qps|rpm|tps|msgs?/s|msgs?/min|"
                             r"messages/s|messages/min|events/s|events/min|jobs/s|jobs/min|/s|/min|/h|"
                             r"per (?:\d+ ?)?(?:seconds?|sec|minutes?|min|hours?|h))(?![\w/])"
                             # a ';' only inside brackets: "1.3k msg/s (heatwave in the south; 7-day avg 250 msg/s)"
                             r"(?:[^\n;]|;(?=[^\n()]*\))){0,100}?"
                             r"\b(?:avg|average|mean|median|normal|normally|usual|usually|typical|typically|baseline|"
                             # between the baseline word and its figure: no other figure but a clock time or a span
                             r"expected|same (?:hour|time|day|weekday|period)|last \d+ (?:weeks|[a-z]+days))\b(?:[^\d\n;)]|\d{1,2}:\d\d(?:-\d{1,2}:\d\d)?|\d{1,2} (?:weeks?|days?|[a-z]+days)\b)"
                             r"{0,50}?(?<![\d:.,-])(\d[\d,.]*)(?:\s*[-–]\s*\d[\d,.]*)?\s*(?:(k)\s*)?\3(?![\w/])")
_TRAFFIC_PLUS = re.compile(r"(traffic|requests?|rps|qps|sign-?ups?|orders|users|sessions|checkouts|load|volume|"
                           r"throughput|demand|visits|page ?views)[^\n.;]{0,15}\+\s?(\d{2,4})\s?%")
_FROM_TO_CONTEXT = re.compile(r"(rps|qps|requests?|traffic|throughput|rate|load|msg/s|messages|jobs|orders|sessions|"
                              r"users|connections)\b[^\n;]{0,30}?from\s*~?(\d[\d,.]*)\s*(k|m(?![a-z/]))?\s*\S*\s*to\s*~?"
                              r"(\d[\d,.]*)\s*(k|m(?![a-z/]))?")
# "traffic 17:00 -> 17:30: 2,350 rpm -> 5,600 rpm", "410 rps at 05:00 -> 760 rps": a clock time is no figure
_ARROW = re.compile(r"(rps|qps|req/s|requests?|traffic|throughput|msg/s|messages|sessions|orders|users|connections|"
                    r"rpm|tps)\b[^\n;]{0,20}?~?(?<![\d:])(\d[\d,.]*)(?![\d:])\s*(k|m(?![a-z/]))?\s*"
                    r"(?:rps|qps|req/s|rpm|/s|/min)?(?:\s*(?:at|@)\s*\d{1,2}:\d{2})?\s*(?:->|→|=>)\s*(?:\d{1,2}:\d{2}\s+)?~?"
                    r"(\d[\d,.]*)(?![\d:])\s*(k|m(?![a-z/]))?")
# "in-rate: baseline ~3.1k msg/s (30d p50) -> 7.9k msg/s since 10:40": the baseline named first, the rate it rose to
# after an arrow, both in a rate's unit
_RATE_UNIT = r"(?:rps|qps|req/s|rpm|tps|msgs?/s|msgs?/min|messages/s|events/s|events/min|jobs/s|jobs/min|/s|/min)"
_BASELINE_ARROW = re.compile(r"\b(?:baseline|normal|usual|typical)\s*[:=]?\s*~?(\d[\d,.]*)\s*(k|m(?![a-z/]))?\s*"
                             + _RATE_UNIT + r"(?![\w/])\s*(?:\([^()\n]{0,24}\)\s*)?(?:->|→|=>)\s*~?(\d[\d,.]*)\s*"
                             r"(k|m(?![a-z/]))?\s*" + _RATE_UNIT + r"(?![\w/])")
_COUNT_VS = re.compile(r"(\d[\d,.]*)(?:\s*(k))?\s+(?:concurrent\s+|active\s+|open\s+)?(?:[\w-]+\s+)?(conns|connections|users|"
                       r"req|reqs|rps|qps|rpm|tps|msgs?|sessions|requests|viewers|players|clients|jobs|messages|orders|checkouts|sign-?ups|websockets?|uploads|events|"
                       r"transactions|txns?|bookings|payments|calls|trips|bets|claims|searches|logins)"
                       r"(?:/s|/sec|/min|/h|/hr| per (?:second|minute|hour))?"
                       r"\s+(?:vs\.?|versus|compared (?:to|with)|against)\s+~?(\d[\d,.]*)\s*(k)?")
# a rate and, after a bracket or a comma, the same rate at an earlier time: "221 msg/s (same as yesterday 09:00: 218
# msg/s)", "930 events/s (opening day, last Saturday 420 events/s)", "1.8/min, last Thursday 1.9/min"; a period
# right after a figure names that figure ("410 msg/min last month -> 1,060 msg/min this week")
_RATE_UNITS = (r"req/s|req/min|rps|qps|rpm|tps|msgs?/s|msgs?/min|messages/s|messages/min|events/s|events/min|jobs/s|"
               r"jobs/min|/s|/min")
# the rate nearest the earlier one: "11:00 41 msg/s · 13:00 128 msg/s (last Thursday 13:00: 43 msg/s)" compares 128
_RATE_THEN_PAST = re.compile(r"(?<![\d:.,])(\d[\d,.]*)[ \t]*(?:(k)[ \t]*)?(" + _RATE_UNITS + r")(?![\w/])"
                             r"(?:(?!\d[\d,.]*[ \t]*(?:k[ \t]*)?(?:" + _RATE_UNITS + r")(?![\w/]))[^\n;]){0,60}?[(,][^\n;]{0,40}?\b(?:yesterday|a week ago|(?:last|previous) (?:week|month|year|[a-z]+day))\b"
                             r"(?:[^\d\n;)]|\d{1,2}:\d\d(?::\d\d)?){0,20}?(?<![\d:.,-])(\d[\d,.]*)\s*(?:(k)\s*)?\3(?![\w/])")
_VS_BASELINE = re.compile(r"(\d[\d,.]*)[ \t]*(?:(k)[ \t]*)?(rps|req/s|req/min|requests/s|qps|rpm|tps|msgs?/s|msgs?/min|messages/s|messages/min|events/s|events/min|jobs/min|/s|/min)[^\n;,)]{0,40}?(baseline|normal|"
                          # "(normal), error rate 0.3" is no base; a range ("2.2-2.5k") is its low end, with its suffix
                          # "(normal for the 06:00-07:00 shift)": a clock time is no base
                          # "(+21%)" after "last week" is a change, not the base; nor is "· 5xx 0" after "normal"
                          r"usual|typical|avg|average|yesterday|last week)[^\d\n,;)]{0,15}(?<!\+)(\d[\d,.]*)(?![\d:])(?!\s*(?:am|pm)\b)(?![\d.,]*\s*%)(?![\d,.]*xx)"
                          r"(?:\s*[-–]\s*\d[\d,.]*)?\s*(k)?")
# "requests/s 2,480 (Thursday 11:00 baseline: 800)", "match-day requests 412k (fixture-night baseline ~130k)", "rps 1,840
# (normal morning 350)": a demand
# word, its figure, then in brackets a baseline named by its day or occasion (words and clock times, no other figure)
_WORD_THEN_PAREN_BASE = re.compile(r"(rps|qps|req/s|requests?|traffic|throughput|msg/s|messages|orders|sessions|users|"
                                   r"events|logins|bookings|checkouts|transactions|searches|calls|jobs|uploads)"
                                   # "events queued 1,930 (normal inflow ~30/min)": a queue's level is no rate
                                   r"(?:/s|/sec|/min|/h|/hr)?\b(?:(?!queue|backlog|pending|waiting|lag\b|depth)[^\n;(\d]){0,25}"
                                   r"(?<![\d:.,])(\d[\d,.]*)(?![\d:])\s*(k|m(?![a-z]))?"
                                   r"\s*(?:rps|qps|req/s|rpm|/s|/min)?\s*\((?:[^\d)\n;]|\d{1,2}:\d\d|p\d{2,3}\b){0,30}?"
                                   r"\b(?:baseline|normal|usual|typical|avg|average|expected)\b"
                                   # "(normal Tuesday afternoon ~380)": the occasion may also follow the word ("(normal
                                   # backlog at this hour ~150)" is a queue's level, not the demand's)
                                   r"(?:\s*[:=]?\s*|(?:(?!backlog|queue|lag\b|depth|pending)[^\d)\n;]|\d{1,2}:\d\d){1,30}?)~?"
                                   r"(?<![a-z])(\d[\d,.]*)(?![\d:])(?!\s*(?:am|pm)\b)\s*(k|m(?![a-z]))?")  # not B2B's 2
# "nothing unusual traffic-wise", "no surge in traffic": the words deny the rise they name
_DENIALS = r"\b(?:nothing|no|not|without|never|nor)\s"
_NOTHING_BEFORE = re.compile(_DENIALS + r"+(?:[\w-]+\s+)?$")
# "3-6 rps, no spikes": the words between the demand word and the rise deny it
_DENIED_WITHIN = re.compile(_DENIALS)
# "Chunk Load Error spike", "requests failing with 503 rising": what rises between the demand word and the rise is
# the failures, not the demand
_FAILURES_WITHIN = re.compile(r"\b(?:errors?|exceptions?|failures?|failing|failed|fails?|timeouts?|timing out|"
                              r"5\d\d|5xx|4xx|crash\w*|latency|rejections?|rejected)\b")
_TRAFFIC_UP = Alternation.split(r"(traffic|load|demand|requests|request rate|rps|qps|throughput|orders|sign-?ups|users|"
                         r"produce rate|producer rate|publish rate|ingest rate|arrival rate|incoming|"
                         r"sessions|checkouts)[^\n.;]{0,25}\b(surg\w*|spik\w*|doubl\w*|tripl\w*|increas\w*|ris(e|es|ing)|"
                         r"grow\w*|climb\w*|jump\w*|up \d|soar\w*|ramp\w*)|(doubl|tripl)\w* (the |its |their )?(request|traffic|order|message|call)s? ?(volume|rate)?|(surge|spike|jump|increase|growth) in "
                         r"(traffic|requests|load|demand|users|orders)|(flash sale|black friday|cyber monday|"
                         r"went viral|product launch|launch(ed)? today)|record (traffic|load|users|requests|volume|high|peak)|"
                         r"(all-time|record) high|(users|connections|sessions|viewers|players|visitors)[^\n.;]{0,25}\brecord\b|"
                         r"previous (high|record|peak)(?![-\w])|(heavy|high|peak|unusual|unusually high|higher than usual|above[- ]normal|"
                         r"seasonal|holiday) (traffic|load|demand|volume)|(?<![\w-])influx of\b|(sudden|huge|big|massive|large|unexpected|traffic|user|visitor) influx(?![\w-])|(busier|more (users|traffic|requests|"
                         r"orders)) than (usual|normal)|(campaign|launch|promo\w*|push notification|"
                         r"newsletter|email blast|tv (ad|spot))[^\n.;]{0,40}(went out|started|began|went live|aired|sent)|"
                         # "local news linked our booking page": a crowd on its way
                         r"\b(news|press|reddit|hacker news|tiktok|twitter|influencer)\b[^\n.;]{0,30}\b(linked|featured|posted|shared)\b",)
_VS = re.compile(r"(rps|qps|req/s|requests?|req(?= )|traffic|throughput|msg/s|messages/s|jobs|rpm|produce rate|publish|calls|"
                 r"connects|(?:websocket|ws|client|total) connections|"
                 r"attempts|caps|tps|"
                 r"incoming|orders|load|records?|events|rows|messages|writes|ingest\w*|input|transactions|txns?|bookings|"
                 r"payments|trips|bets|claims|searches|logins)\w*\b[^\n;]{0,25}?~?(\d[\d,.]*)\s*(?:(k|m(?=\s+vs))\s*)?(?:(?:rps|qps|req/s|rpm|msg/s|/s|/min|/h|/hr|/hour|/day)\s*)?"
                 r"(?:(?:now|today|currently)\s+)?"  # "186,400 now vs 66,300 same time last Tuesday"
                 r"(?:vs\.?|versus|against|compared (?:to|with))\s*(?:(?:the|a)\s*)?(?:\d+[- ]?(?:days?|d|weeks?|w|hours?|h)\s+|weekly\s*|daily\s*)?"
                 r"(?:(?:baseline|normal|usual|typical|avg|average|expected)\s*)?(?:of\s*)?~?(\d[\d,.]*)\s*(k|m(?![a-z]))?")
# "per-worker throughput normal" is each worker's speed, not the demand (checked on the words before a match)
_UNITS = "worker|pod|node|instance|replica|consumer|thread|core|host|task|session|visit"  # whose own speed is no demand
_PER_UNIT = re.compile(rf"\b(?:per[- ]|each )({_UNITS}) $")  # "each consumer steady at ~35 msg/s"
# "throughput steady 7.6k msg/s/pod" is each pod's speed too (checked on the words after a match)
_PER_UNIT_AFTER = re.compile(rf"[^\n;,]{{0,20}}?(?:/|\bper[- ])(?:{_UNITS})\b")
# "per-task rate unchanged", "rps per pod (normal peak ~70)": the unit's speed, before or inside the words
_PER_UNIT_WITHIN = re.compile(rf"(?:/|\bper[- ])(?:{_UNITS})s?\b")
_PER_JUST_BEFORE = re.compile(r"(?:\bper[- ]|/)$")
_MOVES_WITH = re.compile(r"\b(?:scal|track|follow|grow|ris|mov)\w* with (?:the )?$")  # "goroutines scale with rps as usual"
_TRAFFIC_FLAT = re.compile(r"(traffic|load|demand|requests|request rate|rps|qps|throughput|inbound|incoming|input rate|"
                           r"(?:numberof)?messages ?sent|inflow|"
                           r"produce rate|producer rate|publish rate|ingest rate|arrival rate|producers?|produce|enqueue(?:d|s)?(?: rate)?|"
                           r"(?:messages?|msg|events?|jobs?|tasks?)(?: in/out| in| out)? rate)"
                           # "produce latency normal" says nothing of the demand
                           r"(?:(?!latenc|errors?\b|durations?\b|response time)(?:[^\n.;]|\.\d)){0,25}"
                           r"\b(flat|normal|steady|stable|unchanged|nominal|as usual|at baseline|within baseline|"
                           r"did not (change|increase)|not (increased|changed|up)|back to (?:the )?(?:[\w-]+ )?(?:baseline|normal|usual)|same as (?:the )?(every|usual|normal|yesterday|last|previous|the same)|"
                           r"as (every|any) (weekday|day|week))|(?<![\w-])(?:flat|steady|unchanged)(?: at)? ~?\d[\d,.]*\s*k?\s*"
                           r"(?:rps|qps|req/s|rpm|requests?/s|msg/s)\b|no (increase|change|spike|surge|rise)"
                           r" in (traffic|requests|load|demand)|(traffic|load) (is )?(not|no) (higher|up)")
_LONG_WINDOW = Alternation.split(rf"(over|for|in|across|during|past|last|since)\s*(the\s*)?(last\s*|past\s*)?{_NUM}\s*"
                          r"(?:consecutive\s*|straight\s*|full\s*|whole\s*)?(days?|weeks?|months?)\b|"
                          r"(over|for|in|across|during|past|last)\s*(the\s*)?(last\s*|past\s*)?\d+\s?d\b|since last "
                          r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)|(all|past|last|whole|entire) (week|month|quarter)|for weeks|"
                          r"since last (week|month)|\b(\d+)d (avg|average|window|p95|mean)|"
                          r"\(\s*\d+\s*[dw]\s*\)|since (?:the \w+ (?:test |migration |launch )?on )?(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}\b)")
# the garbage collector's share of CPU ("GC cpu fraction 0.6%") is no utilisation of the service
# a figure whole, not the tail of "100%" (read as 00) nor a change ("usage growth: +0.2%/day")
_UTILISATION = re.compile(r"(?<!gc )(?<!gc_)(?<!gc-)(utili[sz]ation|usage|cpu|load|busy|util)[^\n%;]{0,30}?"
                          r"(?<![+\d.])(\d{1,2}(?:\.\d+)?)\s?%|"
                          r"(?<![+\d.])(\d{1,2}(?:\.\d+)?)\s?%\s*(avg|average|mean|p95|peak)?\s*(utili[sz]ation|usage|cpu|util)")
# a 5xx status, not a figure of 500-599 ("533 msg/s", "512 MiB", "at 05:12")
_TROUBLE = Alternation.split(r"error|exception|fail|5xx|crash|panic|fatal|(?<![\d.,:/-])5\d\ds?\b(?![.,:]\d)(?!\s*(?:ms|msec|s|sec|"
                      r"seconds?|mi?b|gi?b|ki?b|mb|gb|tb|k|m|rps|qps|rpm|req|requests|msgs?|messages|/|%|x|mhz|ops|days?|"
                      r"hours?|h|mins?|minutes?|users|pods|nodes|rows|items|events|jobs|conn\w*|records|files|tasks)\b)|refused|timeout|timed out|unavailable|down\b|reject|"
                      r"unhealthy|degraded|degradation|latency|slow|(?<![a-z])oom|killed|restart|not responding|broken|regress|"
                      r"abort|segfault|segmentation fault|sigsegv|\bsegv\b|core dumped|code=dumped|\[bug\]|\b0 processes\b|traceback|stack ?trace|nil pointer|undefined|cannot|can.t|unable|throttl|\b429s?\b|"
                      r"too ?many ?requests|\bdenied\b|forbidden|\b4\d\d (spike|storm|surge)|overrun|false positives|rubber-?band\w*|"
                      r"something(?: is|.s) (?:off|wrong)")
# "no crashes, no 5xx", "0 errors", "without errors", "no 'Liveness probe failed'", "no memory or disk pressure": a
# word the text denies right before it is no evidence (here: no trouble; engine.py: no signature match)
# (never across a line: "lag=0" ending one line denies nothing the next one says)
DENIED_BEFORE = re.compile(r"(?:\bno|\bzero|(?<![\d.,])0|\bwithout|\bnot|\bnever|\bnor)[ \t]+(?:new\s+|any\s+|app[- ]side\s+)?"
                           r"(?:(?:['\"“‘][^'\"”’\n]{1,30}['\"”’]|[\w-]+)(?:\s*/\s*|\s+(?:or|nor)\s+))?['\"“‘]?$")
_ZERO = re.compile(r"(?:\w*)[\s:=]*0(?:\.0+)?\s?%?(?![\d.,])")  # "5xx 0.00%", "errors: 0"
# one caller behind nearly all of a breakdown by caller: "by user_agent: app/4.1 (HH-0417) 2,301 | web 6 | desk 3",
# rows such as "status=400 client_id=app-x  18,704" beside "client_id=(all others)  61", "api key …9e2f sent 8,090 of
# the 8,112 413s"
_CALLER = (r"(?:user[_ -]?agents?|clients?(?:[_ ]ids?)?|api[_ ]?keys?|ips?|source(?:[_ ]ips?)?|tenants?(?:[_ ]ids?)?|"
           r"callers?|devices?(?:[_ ]ids?)?|accounts?|partners?|consumers?|customers?(?:[_ ]ids?)?|remote[_ ]addr)")
_BY_CALLER = re.compile(rf"\bby @?(?:[@\w-]+\.)?{_CALLER}(?:[_ ](?:ids?|names?))?\)?[ \t]*[:=]?[ \t]*([^\n]+)")
_CALLER_ROW = re.compile(rf"(?:^|\n)[^\n]*?\b{_CALLER}[ \t]*[=:][^\n]*?(?<![\w.,/-])(\d{{1,3}}(?:,\d{{3}})+|\d+)[ \t]*"
                         r"(?=\n|$)")
_CALLER_SENT_OF = re.compile(rf"\b{_CALLER}\b[^\n]{{0,80}}?\b(\d{{1,3}}(?:,\d{{3}})+|\d+) of (?:the |all |its |their )?"
                             r"(\d{1,3}(?:,\d{3})+|\d+)\b")
_COUNT_AT_END = re.compile(r"(?<![\w.,/-])(\d{1,3}(?:,\d{3})+|\d+)(?:/(?:s|sec|min|m|h))?(?![\w.,%/:-]|\.\d)[^\d]*$")
_ITEM_BREAK = re.compile(r"\s*[|;]\s*|,\s+")
# the share the breakdown states for its one caller
_SHARE_OF_ALL = re.compile(r"\(\s*(\d{1,3}(?:\.\d+)?)\s?% of (?:the |all |its )?[\w\s-]{0,30}\)")
ONE_CALLER_SHARE = 0.9  # one caller with this share of a breakdown (of at least MIN_BREAKDOWN) is that caller's burst
MIN_BREAKDOWN = 20
_TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}\b")


@dataclass(frozen=True)
class Readings:
    """What the numbers say: features (names the signatures test) and the lines that justify each."""

    features: frozenset[str]
    lines: dict[str, str] = field(default_factory=dict)
    memory_pct: float | None = None
    cpu_pct: float | None = None
    replicas: int | None = None
    demand_ratio: float | None = None
    deploy_age_minutes: float | None = None


def _count(token: str) -> float:
    token = token.strip()
    if token in _WORD_NUMBERS:
        return float(_WORD_NUMBERS[token])
    try:
        return float(token)
    except ValueError:
        return 1.0


def _minutes(number: str, unit: str) -> float:
    return _count(number) * _UNIT_MINUTES.get(unit, 1.0)


def _age_minutes(age: str) -> float:
    """Minutes in an age as written, summing a compound one's parts ("3h 10m" → 190)."""
    first = _AGE_FIRST.match(age)
    if first is None:
        return 0.0
    more = _AGE_MORE.finditer(age, first.end())
    return _minutes(first.group(1), first.group(2)) + sum(_minutes(part.group(1), part.group(2)) for part in more)


def _number(text: str, kilo: str | None = None) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value * {"k": 1_000, "m": 1_000_000}.get(kilo or "", 1)


# a clock time, also inside an ISO stamp ("2024-12-06T08:51Z"), not the tail of a longer figure ("412:10.11")
_COMPARED = re.compile(r"\d(\.\d+)?\s?[x×](?!\w)|\bthan\b|\babove\b|\bover\b|\+\d|\bvs\.?\s*~?\d")  # "310/min vs ~100"
# (the look-behind after the first digit: the regex engine then skips to digits instead of trying it everywhere)
_HHMM = r"(\d(?<![\d:.]\d)\d?):(\d{2})(?!\d|\.\d)"


def _hhmm(name: str) -> str:
    """The clock with its hour and minute in groups `<name>h`, `<name>m`."""
    return rf"(?P<{name}h>\d(?<![\d:.]\d)\d?):(?P<{name}m>\d{{2}})(?!\d|\.\d)"


# a deploy and its clock time in one clause: "upgraded Feb 6, no patches since; maintenance window 03:00" is not a
# 03:00 upgrade (two branches, each led by what the engine can skip to: a deploy word's letter, a digit)
_DEPLOY_AT = _deploy_led(rf"[^\n;]{{0,80}}?{_hhmm('after')}", rf"{_hhmm('before')}[^\n;]{{0,60}}?{_DEPLOY}")
_CLOCK = re.compile(_HHMM)
# a release of what the business sells or holds, not of software: "Series finale released 21:00", "9,400 import boxes
# released for pickup from 06:00", "online timed-entry release for 'Shark Reef' opened 09:00"
_GOODS_RELEASED = re.compile(
    r"\b(?:finale|episode|series|season|album|single|trailer|film|movie|tickets?|seats?|boxes|containers|cargo|goods|"
    r"funds|holds?|entry|entries|stock|inventory|embargo\w*|results|grades|statements|sessions|slots|places|classes|"
    r"bookings|appointments|timeslots|spaces|pitches|courts|lanes)\s+releas\w*|"
    r"\breleas\w*\s+(?:for|to)\s+(?:pickup|collection|sale|delivery|the public|customers|members|subscribers|shops|"
    r"stores|retailers|the press)\b|\b(?:timed-entry|ticket|on-?sale|pre-?sale)\s+release\b")
# "deployment x: 0/0 replicas (scaled to 0 at 09:48 by okafor)": somebody stopped it by hand at that time; the old
# ReplicaSet "scaled to 0 at 16:05" of a rollout names no person and stays a deploy's time
_SCALED_DOWN_BY_HAND = re.compile(r"\bscaled (?:down )?to 0\b[^\n;]{0,30}?\bby\b")
# a calendar date ("2024-06-05", "Jun 5", "5 June"): a deploy dated so has its own day, and a clock time further on
# ("deployed 2024-06-05, no errors until today 06:41") is another event's, unless it follows the date as one stamp
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")  # whole names: "marked 2 pods" holds no date
_DATE = re.compile(rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b{_MONTH} \d{{1,2}}\b|\b\d{{1,2}} {_MONTH}(?![a-z])")
_DATE_THEN_CLOCK = re.compile(r"[t ,]{1,3}(?:at )?$")
_ISO_DATE = re.compile(r"(?<!\d)20\d\d-\d\d-\d\d(?!\d)")
_ISO_STAMP = re.compile(r"(?<!\d)(20\d\d-\d\d-\d\d)[t ]\d{1,2}:\d\d")  # a log line's stamp: a day events happened


def _days_before_the_latest(text: str, date: str) -> bool:
    """Whether an ISO `date` is earlier than the latest day the text's timestamps show (the incident's own day; a
    date without a clock, "valid until 2025-06-05", may lie ahead and says nothing of today)."""
    if not _ISO_DATE.fullmatch(date):
        return False
    return any(later.group(1) > date for later in _ISO_STAMP.finditer(text))


# "restarted the consumer deployment", "kubectl rollout restart deployment/x": the object bounced, nothing released
_RESTARTED_DEPLOYMENT = re.compile(r"\b(?:restart(?:ed|ing|s)?|bounced?|bouncing|recycled?|recycling|scaled|rolled(?!\s+(?:out|back)\b))\s+"
                                   r"(?:the\s+)?(?:[\w-]+\s+){0,2}deployments?\b")
_CHANNEL_NAME = re.compile(r"#[\w-]*-(?:\w)?$")  # the deploy word starts inside "#team-release"
_AHEAD_OF = re.compile(r"\b(?:before|prior to|ahead of|earlier than)\b")
_UNTIL_BEFORE = re.compile(r"\b(?:until|till|up to)\s+(?:today\s+|about\s+|around\s+|~)?$")
# a deploy asked about is no deploy stated: "14:05 @lena: is this the search gateway deploy?"
_ASKED = re.compile(r"[^\n.!?]{0,40}\?")
# a line about somebody else's run: a scheduled job's run stamped with its image ("CronJob x (image y, schedule
# '0 2 * * 0') started the pod at 02:00"), or a provider's status page quoted ("status page: 'SFTP migration overran',
# updated 08:30")
_OTHERS_RUN = re.compile(r"\bcron ?job\b|\bschedule\W{0,3}[\d*/,-]+ [\d*/,-]+ |status ?page|"
                         r"\bstatus\.[a-z0-9-]+(?:\.[a-z0-9-]+)?\.(?:com|io|net|org|dev|cloud|app|industries|[a-z]{2})\b|"
                         # a provider's notice of its own window ("Pay.gov will be unavailable Oct 11 14:00 - Oct 12
                         # 06:00 ET for system upgrades"), a platform's node work ("restarted 08:00 (node drain for k8s
                         # 1.29 upgrade)")
                         r"\bwill be (?:unavailable|down|offline|read-only)\b|\bnode drain|\bdrain(?:ed|ing)? (?:the )?nodes?\b|"
                         r"\bcordon(?:ed)?\b|\bnode ?pools?\b|\bnode (?:image |os )?(?:upgrade|rotation|replacement|recycl\w*)|\b(?:k8s|kubernetes|eks|gke|aks) v?\d+\.\d+ upgrade")


# "next release train Thursday 10:00", "rollout scheduled for 14:00": a deploy still to come
_TO_COME = re.compile(r"\b(?:next|upcoming)\s+(?:[\w-]+\s+){0,2}?(?:release|deploy\w*|rollout|train|window|sprint)\b|"
                      r"\b(?:scheduled|planned)\s+for\b")


# a release named only to say two hosts run the same one
_SAME_RELEASE = re.compile(r"\bsame (?:release|build|version|image|deploy\w*)\b")


def _clock_deploys(text: str, service: str = "",
                   stated: list[tuple[int, int]] | None = None) -> Iterator[tuple[re.Match[str], int]]:
    """Each deploy of this service stamped with a clock time, with that time in minutes of the day — not one on a
    line that states an age (`stated`: then the time is the line's own stamp, "10:24 deploy was 2 days ago")."""
    for m in _deploys_at(text):
        line_start, line_end = line_span(text, m.start(), m.end())
        # "20:19 nothing deployed since Monday" dates a statement, not a deploy; "Applied catalog (02:40, 0 resources
        # changed)" dates a run that changed nothing
        if (_NO_DEPLOY.search(text, max(line_start, m.start() - 30), m.end())
                or _NOTHING_CHANGED.search(text, line_start, line_end)
                or _SCALED_DOWN_BY_HAND.search(text, line_start, line_end)):
            continue
        if (_elsewhere(text, *m.span(), service) or _ASKED.match(text, m.end())
                or _OTHERS_RUN.search(text, line_start, line_end)
                or _GOODS_RELEASED.search(text, max(line_start, m.start() - 40), m.end())):
            continue
        if any(line_start <= start < line_end for start, _ in stated or ()):
            continue
        if _TO_COME.search(text, max(line_start, m.start() - 20), m.end()):
            continue  # the clock dates a deploy still to come
        if _SAME_RELEASE.search(text, max(line_start, m.start() - 8), m.end()):
            continue  # "app-13 (same release, same ring) reconnected at 01:29": no release happened
        if _CHANNEL_NAME.search(text, max(line_start, m.start() - 30), m.start() + 1):
            continue  # "[#wb-release] 10:02 meera.s: keep it paused": a chat channel's name, not a release
        if _RESTARTED_DEPLOYMENT.search(text, max(line_start, m.start() - 40), m.end()) and len(
                _DEPLOY_WORD.findall(m.group(0))) == 1:
            continue  # "10:40 @femke restarted the consumer deployment": the Kubernetes object, bounced, no release
        clock = m.groupdict()
        if clock.get("beforeh") and _AHEAD_OF.search(m.group(0)):
            continue  # "05:00:14, 70 minutes before the deploy": the clock dates something before the deploy
        if clock.get("afterh") and _UNTIL_BEFORE.search(text, max(line_start, m.start("afterh") - 20),
                                                        m.start("afterh")):
            continue  # "(v2.30.4), no errors until 10:14 today": the clock ends another state, it dates no deploy
        if clock.get("afterh"):  # deploy word first: a date between it and the clock must be the clock's own day
            # the date nearest the clock ("rev 56 2024-05-21 | rev 57 2024-06-04 13:05": the second is 13:05's day)
            date = next(reversed(list(_DATE.finditer(m.group(0), 0, m.start("afterh") - m.start()))), None)
            if date and not _DATE_THEN_CLOCK.match(m.group(0), date.end(), m.start("afterh") - m.start()):
                continue
            if date and _days_before_the_latest(text, date.group(0)):
                continue  # "v3.22.1 on 2024-10-10 06:00" in a text stamped 2024-10-14: that day's clock, not today's
        h, mnt = (clock["afterh"], clock["afterm"]) if clock.get("afterh") else (clock["beforeh"], clock["beforem"])
        yield m, int(h) * 60 + int(mnt)


def _deploys_at(text: str) -> list[re.Match[str]]:
    """_DEPLOY_AT's matches, found once per screened text (two readings ask)."""
    if not isinstance(text, ScannedText):
        return list(_finditer(_DEPLOY_AT, text))
    if text.deploys_at is None:
        text.deploys_at = list(_finditer(_DEPLOY_AT, text))
    return text.deploys_at


_YESTERDAY = re.compile(r"\b(?:yesterday|last night)\b")


def _deploy_clock_gap(text: str, stated: list[tuple[int, int]], service: str = "") -> tuple[float | None, str]:
    """A deploy stamped with a clock time and a later clock time (the failures) within an hour of it."""
    for m, deployed in _clock_deploys(text, service, stated):
        later = [int(c.group(1)) * 60 + int(c.group(2)) for c in _CLOCK.finditer(text)
                 if c.start() < m.start() or c.start() >= m.end()]
        if _YESTERDAY.search(text, max(line_span(text, m.start())[0], m.start() - 30), m.end()) and (
                today := [t for t in later if t < deployed]):
            # "restarted yesterday 17:00 by the 2.4.1 rollout" in a text whose clocks run past midnight to 06:10:
            # the release is as old as the span to the last of today's clocks, not the minutes after 17:00
            return float(max(today) + 1440 - deployed), m.group(0).strip()
        gaps = [t - deployed for t in later if 0 <= t - deployed <= 60]  # the same minute: right after it; an hour: no
        if gaps:
            return float(min(gaps)), m.group(0).strip()
    return None, ""


# A stretch of clock time the text calls clean: "error rate 0.2% from 09:35 to 14:18", "error rate 02:10-14:37 UTC
# stayed at 0.3%", "0 events of this issue between 09:10 and 14:52". A release that ran clean for an hour from its
# deploy did not cause what started after.
_CLOCK_SPAN = re.compile(r"(?<![\d:.])(\d{1,2}):(\d{2})(?::\d{2})?\s*(?:utc\s*)?(?:-|–|to|until|till|and)\s*"
                         r"(\d{1,2}):(\d{2})(?!\d|\.\d)")
_SPAN_ABOUT_FAILURES = re.compile(r"\b(errors?|error rate|events?|exceptions?|5xx|failures?|failed|crash\w*|canary|"
                                  r"latency|alerts?)\b")
_SPAN_CLEAN = re.compile(r"\b(clean|fine|healthy|nominal|stayed|steady|flat|no (errors?|events?|failures?|alerts?)|"
                         r"zero (errors?|events?|failures?))\b|(?<![\d.,])0 (errors?|events?|failures?|exceptions?|5xx)\b|"
                         r"(?<![\d.,])0(?:\.\d+)?\s?%")
_SPAN_BAD = re.compile(r"\b(spik\w*|rose|risen|rising|jump\w*|climb\w*|doubl\w*|surg\w*|above|exceed\w*|began|started|"
                       r"breach\w*|fir(ed|ing))\b")
RAN_CLEAN_FOR = 60  # minutes of a clean run after a deploy that clear it
# a latency figure or range in milliseconds or seconds ("310-420ms", "p99 1.9 s"), and the words that say a clause is
# about latency: a span whose latency stays under a third of the worst the text states ran clean before it got worse
_LATENCY_FIGURE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?:\s?(?:-|–|to)\s?(\d+(?:\.\d+)?))?\s?(ms|s)\b")
_ABOUT_LATENCY = re.compile(r"\b(p\d{2,3}|latency|response times?)\b")


def _latencies_ms(text: str) -> list[float]:
    return [float(n) * (1.0 if m.group(3) == "ms" else 1000.0)
            for m in _finditer(_LATENCY_FIGURE, text) for n in (m.group(1), m.group(2)) if n]


def _latency_clean(clause: str, worst_ms: float) -> bool:
    """A clause about latency whose figures all stay under a third of `worst_ms`, the highest the whole text states."""
    here = _latencies_ms(clause) if _ABOUT_LATENCY.search(clause) else []
    return bool(here) and max(here) * 3 <= worst_ms


def _ran_clean_after(text: str, deploys: list[int]) -> str:
    """The clause saying the release ran clean for RAN_CLEAN_FOR minutes from the last of `deploys` (minutes of the
    day), or "". A clean run after an earlier step ("10:00-15:03 (flag at 10%): p99 240ms") says nothing of the one
    that followed it."""
    if not deploys:
        return ""
    last, worst_ms = max(deploys), None
    for m in _finditer(_CLOCK_SPAN, text):
        start, end = int(m.group(1)) * 60 + int(m.group(2)), int(m.group(3)) * 60 + int(m.group(4))
        # from at most an hour before the deploy (it covers it) to at least an hour after
        if not (-RAN_CLEAN_FOR <= start - last <= RAN_CLEAN_FOR and end - last >= RAN_CLEAN_FOR):
            continue
        clause = _clause(text, *m.span())
        if _SPAN_BAD.search(clause):
            continue
        if _SPAN_ABOUT_FAILURES.search(clause) and _SPAN_CLEAN.search(clause):
            return clause.strip()
        if worst_ms is None:
            worst_ms = max(_latencies_ms(text), default=0.0)
        if _latency_clean(clause, worst_ms):
            return clause.strip()
    return ""


# What a deploy statement says was deployed: "deployment X", "X v1.2 rolled out", "X:1.2". Only hyphenated
# identifiers count as names (service names are; "the new build" is not).
_SERVICE_NAME = r"([a-z][a-z0-9]+(?:[-_][a-z0-9]+)+)"  # not an id such as "d-7xk2q1"
_DEPLOYED_NAME = re.compile(rf"(?:deploy(?:ment|ed)?|roll(?:ed)?[- ]?out|releas(?:e|ed)|upgrad(?:e|ed))\s+(?:of\s+)?"
                            rf"{_SERVICE_NAME}|\bapplication\s+{_SERVICE_NAME}\s+(?:sync|synced|deployed|health)\b|deploy[\w-]*'?\s+for\s+{_SERVICE_NAME}|{_SERVICE_NAME}(?::v?\d|\s+v?\d+\.\d+\.\d[\w.-]*\s+(?:at|@)\s+\d{{1,2}}:\d\d|\s+v\d+\.\d|\s+\d+\.\d+\.\d[\w.-]*\s*(?:->|→)\s*(?:prod|production|staging|live)\b|\s+(?:\d+\.\d+\.\d[\w.-]*\s+)?(?:was\s+)?(?:synced|deployed|"
                            rf"rolled(?: out)?|released|upgraded|promoted)|\s+(?:task[- ]?definition|image|chart|deployment)\b)")
_NOT_NAMES = frozenset({"roll-out", "re-deploy", "re-deployed", "on-call", "follow-up", "up-to-date", "built-in",
                        "blue-green", "in-place", "hot-fix", "pre-release", "non-prod", "pre-prod"})


# after our service's name: a statement of when it was itself last deployed, or that it was not
_DATED_APART = re.compile(r"\W{0,3}(?:was |is |has been )?(?:last (?:deployed|released|shipped|rolled out|updated|"
                          r"changed)|unchanged since|not (?:re-?)?deployed)\b")
_THEIR_DEPLOY = re.compile(r"\btheir (?:own |new |latest |last |recent )?(?:deploy\w*|release|rollout|upgrade|change)")
_ITS_DEPLOY = re.compile(r"\bits (?:own |new |latest |last |recent )?(?:deploy|release|rollout|upgrade)")
_SUBJECT = re.compile(rf"\W*{_SERVICE_NAME}\s*[:(]")
# a time that is not now: long ago, or still to come ("new build with cleanup lands next sprint")
_LONG_AGO = re.compile(r"\blast (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|week|month)\b|\byesterday\b|"
                       r"\bnext (?:sprint|week|month|quarter|release|window)\b|\btomorrow\b|"
                       r"\b\d+ (?:days|weeks|months) ago\b|\bno (?:issues|problems|errors) since\b|"
                       r"\bon (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2}\b")


_OTHER_TEAM = re.compile(r"\b(?:network|security|netsec|platform|dba|db|database|infra\w*|storage|identity|iam|firewall|"
                         r"proxy|messaging)(?:[/ ](?:security|network|platform|infra\w*))? team\b|"
                         # "inventory team deployed migration 0142": another team named as the one that changed something
                         r"\b(?!our\b|my\b|the\b|same\b|this\b)[a-z][\w-]* team(?:'s|’s)? (?:deployed|shipped|rolled|"
                         r"released|applied|ran|merged|pushed|migration|change|release|deploy)|"
                         # "tenant email: we deployed our new CMS plugin v3 at 15:30": a customer's own release
                         r"\b(?:tenant|customer|client|partner|vendor|merchant)(?: email| ticket| reply| says)?\W{1,3}"
                         r"(?:we|they) (?:deployed|shipped|released|rolled out|pushed|upgraded)\b|"
                         # "replicas restarted 06:58 by platform maintenance (environment upgrade)"
                         r"\bby (?:the )?(?:platform|provider|cloud) (?:maintenance|upgrade)\b|"
                         # "HMI upgrade by controls team": the change is named as another team's
                         r"\b(?:upgrade|deploy\w*|release|change|migration|rollout|update)d? by (?:the )?"
                         r"(?!us\b|our\b|me\b|ops\b)[a-z][\w-]* team\b|"
                         # "camera firmware 7.3.0 pushed by Vialux remote support": a vendor's own people changed it
                         r"\b(?:pushed|applied|installed|rolled out|deployed|upgraded|updated) by [\w-]+ (?:remote |field )?"
                         r"(?:support|engineers?|technicians?|service)\b|"
                         # "national GNSS network bulletin: ... during caster migration": an outside party announced it
                         r"\b(?:provider|vendor|partner|supplier|operator|carrier|registry|authority|network|upstream|"
                         r"national|government)\b[^\n]{0,30}\b(?:bulletin|advisory|announcement|notification|newsletter)\b")


# a datastore's, broker's or mesh's own upgrade ("consul rolling upgrade 1.17 -> 1.18 finished", "redis cluster
# sched-redis upgrade 6.2 -> 7.2"): a change of the dependency, not a release of the service; a client library's
# upgrade inside the service ("redis client upgrade") stays the service's
_DATASTORES = (r"(?:consul|etcd|vault|kafka|zookeeper|postgres(?:ql)?|mysql|mariadb|redis|rabbitmq|elasticsearch|"
               r"opensearch|cassandra|mongo(?:db)?|memcached|istio|linkerd|coredns|cilium|calico|nats|clickhouse|minio|"
               r"ceph|keycloak|cockroach(?:db)?|crdb|yugabyte(?:db)?|tidb|vitess|influx(?:db)?|timescale(?:db)?|"
               r"victoriametrics|scylla(?:db)?|couchbase|couchdb|neo4j|solr|activemq|artemis|pulsar)")
_INFRA_CHANGE = re.compile(
    # the upgrade named first ("Rolling upgrade ScyllaDB 5.4.9 -> 5.4.10 on scylla-prod-01..06")
    rf"\b(?:rolling |minor |major |version |engine )*(?:upgrade|patch(?:ing)?) (?:of )?(?:the )?{_DATASTORES}\b"
    r"(?! (?:client|driver|library|lib|gem|sdk|module|package|dependency)\b)|"
    rf"\b{_DATASTORES}(?:-[\w-]+)?"  # "crdb-main rolling upgrade"
    # "InfluxDB 2.7.6 -> 2.7.10 upgrade on influx-01"
    r"(?: v?\d+(?:\.\d+)+ ?(?:->|→|=>|to) ?v?\d+(?:\.\d+)+)?"
    r"(?: (?:cluster|brokers?|servers?|nodes?|control plane|mesh)| [a-z][\w-]*)? (?:rolling |minor |major |version |"
    r"engine |cluster )?(?:upgrade|patch(?:ing)?)\b|"
    # a datastore named by its role ("CHG-2287 comments-db minor version upgrade, Thu 03:00-03:30")
    r"\b[a-z][\w-]*-(?:db|database|pg|mysql|redis|kafka|mq|cache)(?: (?:cluster|instance|primary))? (?:rolling |minor |"
    r"major |version |engine )*(?:upgrade|patch(?:ing)?)\b|"
    # the container platform's own version ("OpenShift 4.14.21 -> 4.14.24 upgrade on ocp-prd-fra tonight")
    r"\b(?:openshift|ocp|kubernetes|k8s|eks|gke|aks|rke2?|k3s|nomad|containerd|kubelet|docker engine)\b"
    r"[^\n;|]{0,40}?\b(?:upgrade|patch(?:ing)?)\b")


def _clause(text: str, start: int, end: int) -> str:
    """The clause around text[start:end]: from the last line break, ';' or '|' before it to the next after it."""
    bounds = [i for i in (text.rfind(c, 0, start) for c in "\n;|") if i >= 0]
    ends = [i for i in (text.find(c, end) for c in "\n;|") if i >= 0]
    return text[(max(bounds) + 1 if bounds else 0):(min(ends) if ends else len(text))]


_ON_NAMED = re.compile(r"\s+(?:on|to|for|of|in)\s+([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\b")


def _names_another(text: str, at: int, service: str) -> bool:
    """Whether a "no deploy" ending at `at` is said of another service ("no deploy on crew-notify today", asked about
    a neighbour while ours did deploy): a hyphenated name right after it, not related to ours."""
    named = _ON_NAMED.match(text, at)
    return bool(named and service) and not _related(named.group(1), service.lower())


_QUOTED_WORDS = re.compile(r'"[^"\n]{0,200}"')


def _elsewhere(text: str, start: int, end: int, service: str) -> bool:
    """Whether the deploy statement at text[start:end] is not about `service`: its clause dismisses it
    (references.py), or names a deployed service sharing no word with ours and does not name ours."""
    clause = _clause(text, start, end)
    # a quoted commit message or title is the change's own words, no verdict of the text's ('release #412: "slim base
    # image (drop opencv deps we don't use)"')
    if _DISMISSALS.search(_QUOTED_WORDS.sub(" ", clause) if '"' in clause else clause):
        return True  # "billing-api 4.1 rolled out (different cluster, no dependency on smsgw)"
    if _OTHER_TEAM.search(clause) and not (service and service.lower() in clause):
        return True  # "Network/security team change NETSEC-5521 … applied 12:58": theirs, not this service's
    if (infra := _INFRA_CHANGE.search(clause)) and not re.search(r"\b(?:client|driver|library|lib|sdk|gem|package)\b",
                                                                  infra.group(0)):
        if not (service and service.lower() in clause):
            return True
    if _THEIR_DEPLOY.search(clause) and not (service and service.lower() in clause):
        return True  # "gis-api: 503s between 06:12:00 and 06:13:10 (their deploy)": another's release
    if not service:
        return False
    ours = service.lower()
    named = [next(g for g in m.groups() if g) for m in _DEPLOYED_NAME.finditer(clause)]
    if _named_after(clause, ours, _NOT_BEFORE_NAME):
        return True  # "the deploy at 02:40 tonight was meter-validator, not meter-ingest"
    if ours in clause:
        # "verifier-upload-svc v5.3.0 -> prod (verifier-api last deployed 2024-05-29)": ours is named only to date
        # its own last deploy apart from the one the clause reports, which is another's
        dated_apart = any(_DATED_APART.match(clause, at + len(ours)) for at in _occurrences(clause, ours))
        return dated_apart and clause.count(ours) == 1 and bool(named) and ours not in named
    if _ITS_DEPLOY.search(text, start, end) and (subject := _SUBJECT.match(clause)):
        named.append(subject.group(1))  # "allocator-svc: 0 errors since its deploy": the clause's subject deployed
    named = [n for n in named if n not in _NOT_NAMES]
    if not named:
        return False
    if not any(_related(n, ours) for n in named):
        return True
    # "#deploys 12:05 liveblog-editor 5.0.2" beside "liveblog-ws image 3.4.1, deployed 2024-03-05": a sibling's
    # deploy when a line of its own dates ours
    return ours not in named and _dated_apart_from(text, ours, named, start)


# a command typed at a shell prompt ("$ helm -n mm get values mm-function-ranked --revision 88"): it names the service
# as an argument and dates nothing
_PROMPT = re.compile(r"\s*(?:\$|ps [a-z]:\\[^>\n]*>)\s")


def _dated_apart_from(text: str, ours: str, others: list[str], at: int) -> bool:
    """Whether another line than the one at `at` names `ours` beside a deploy word, and none of `others` (a label
    line "project=portal-web-app, release=portal-web@4.9.0" dates theirs); a command at a shell prompt is no such
    line."""
    here = line_span(text, at)
    for where in _occurrences(text, ours):
        span = line_span(text, where)
        line = text[span[0]:span[1]]
        if span != here and _DEPLOY_WORD.search(line) and not _PROMPT.match(line) \
                and not any(other in line.replace(ours, "") for other in others):
            return True
    return False


# a feature flag flipped is a change of its own: "image 6.4.2 unchanged since July" does not deny it; a denial of
# flags, configuration or any change ("no changes this week", "no config change") does
_FLAG_CHANGE = re.compile(r"\b(?:feature flag|flag|toggle)\b")
_DENIES_FLAGS = re.compile(r"\b(?:flags?|toggles?|config\w*|settings?|changes?|nothing)\b")


def _denied(text: str, change: re.Match[str]) -> bool:
    """Whether a denial in the text ("no deploy since Monday", "X unchanged since …") covers the stated change."""
    if not _FLAG_CHANGE.search(change.group(0)):
        return True
    return any(_DENIES_FLAGS.search(text, max(0, d.start() - 40), d.end()) for d in _finditer(_NO_DEPLOY, text))


_CHANGE_OF_ITS_OWN = re.compile(r"\b(?:feature|flag|toggle|config\w*|settings?)\b")


def _denies_our_deploy(text: str, service: str, age_line: str) -> bool:
    """Whether the text denies, by our service's name, the release a deploy line not naming it reports ("no deploy of
    search-suggest since 14 Nov" beside "app-13 … reconnected at 01:29"); a flag or configuration change is a change
    of its own that no deploy denial covers."""
    ours, phrase = service.lower(), age_line.lower()
    at = text.find(phrase)
    line = text[slice(*line_span(text, at, at + len(phrase)))] if phrase and at >= 0 else phrase
    # also as a CamelCase name lowered: "BillingApi: no deploy in 11 days" of billing-api
    names = {n for n in (ours, _SEPARATORS.sub("", ours)) if n}
    if not ours or any(n in line for n in names) or _CHANGE_OF_ITS_OWN.search(line):
        return False
    return any(_named_after(text, name, _NO_DEPLOY_OF) or any(
        _apart(text, at, name) and _NOT_DEPLOYED_AFTER.match(text, at + len(name)) for at in _occurrences(text, name))
        for name in names)


_SEPARATORS = re.compile(r"[-_.]")


# the words before or after our service's name (matched as a string, see _occurrences) that deny it a release
_NOT_BEFORE_NAME = re.compile(r"(?:,|\bbut|\band)\s+not\s+(?:the |our |on |in )?$")
_NO_DEPLOY_OF = re.compile(r"\bno (?:recent |new )?(?:deploy\w*|releases?|rollouts?|changes?) (?:of|for|on|to) $")
_NOT_DEPLOYED_AFTER = re.compile(r"[^\n.;]{0,20}\b(?:not (?:re-?)?deployed|no (?:deploy|release|rollout)s?)\b")


def _named_after(text: str, name: str, before: re.Pattern[str]) -> bool:
    """Whether `name` stands whole in `text` right after words `before` matches (a regex ending in `$`)."""
    return any(_apart(text, at, name) and before.search(text, max(0, at - 40), at) for at in _occurrences(text, name))


def deploy_age(text: str, service: str = "") -> tuple[float | None, str]:
    """Minutes since the deploy the text mentions (smallest stated), with the phrase; None if not stated.
    A deploy the text attributes to another service than `service` does not count."""
    return _deploy_age(text.lower(), service, text)


def _stated_age_words(m: re.Match[str]) -> float:
    word = m.group(2)
    return 43200.0 if "month" in word else 10080.0 if "week" in word else 1440.0


# Each way a text states a deploy's age, with how many minutes a match says
# an Argo Rollouts tree's ReplicaSet row: "└──⧉ scheduler-5d9b7c6f4  ReplicaSet  ✔ Healthy  18m  stable" — a
# revision's ReplicaSet is created by its rollout, so its age dates that release
_REPLICASET_AGE = re.compile(r"\breplicaset\b[ \t]+[^\n]{0,30}?[ \t](?P<age>\d+(?:s|m|h|d)(?:\d+(?:s|m|h))?)[ \t]+"
                             r"(?:stable|canary|preview|active)\b")
_STATED_AGES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], float]], ...] = (
    (_REPLICASET_AGE, lambda m: _age_minutes(m.group("age"))),
    (_DEPLOY_THEN_AGE, lambda m: _age_minutes(m.group("age"))),
    (_AGE_THEN_DEPLOY, lambda m: _age_minutes(m.group("age"))),
    (_DEPLOY_AGO_WORDS, _stated_age_words),
    (_OUT_SINCE, lambda m: 1440.0),  # "has been out since May 28": days, at least
)


def _millions(m: re.Match[str], original: str) -> bool:
    """An "age" written with a capital M ("1.46M since the migration (0.63M before)") counts millions, not minutes:
    only the original text tells them apart."""
    if "age" not in m.re.groupindex or m.group("age") is None:
        return False
    first = _AGE_FIRST.match(m.group("age"))
    return first is not None and first.group(2) == "m" and original[m.start("age") + first.start(2)] == "M"


def _deploy_age(text: str, service: str = "", original: str = "") -> tuple[float | None, str]:
    """`text` lowered; `original` (same length, or empty) as written, where case tells a unit apart."""
    cased = original if len(original) == len(text) else ""
    ages: list[tuple[float, str]] = []
    stated: list[tuple[int, int]] = []  # every stated age, ours or another service's: no clock gap read inside one
    for pattern, minutes in _STATED_AGES:
        for m in _finditer(pattern, text):
            if cased and _millions(m, cased):
                continue
            stated.append(m.span())
            if not _elsewhere(text, *m.span(), service):
                ages.append((minutes(m), m.group(0)))
    gap, gap_line = _deploy_clock_gap(text, stated, service)
    if gap is not None:
        ages.append((gap, gap_line))
    if not ages:
        return None, ""
    return min(ages, key=lambda a: a[0])


_THEN = re.compile(r"\s*(?:->|→|=>|to|now)\s*(\d+(?:\.\d+)?)\s?%")


_CORES_OF = re.compile(r"()(\d+(?:\.\d+)?)\s*(?:of|/|out of)\s*(\d+(?:\.\d+)?)\s*(?:v?cpus?|cores?)\b")
# "uses 0.16 cores of 8" (not a machine's size: "4 vcpu / 16 gib")
_CORES_USED = re.compile(r"()(\d+(?:\.\d+)?)\s*(?:v?cpus?|cores?)\s*(?:of|/|out of)\s*(?:the\s*)?(\d+(?:\.\d+)?)(?![\d.])"
                         r"(?!\s*(?:[kmgt]i?b?|%|ms|s|x|hosts?|nodes?|servers?|instances?|pods?|replicas?|vms?)\b)")
_ALARM_METRIC = re.compile(r"metric ?name\s*[:=]\s*\"?([\w./-]+)")
_ALARM_NAME = re.compile(r"alarm:?\s*\"([\w./-]+)\"")  # no MetricName: the alarm's own name says what it watches
_ALARM_THRESHOLD = re.compile(r"(?:greater than|above|exceed\w*)\s*(?:or equal to\s*)?(?:the\s*)?threshold\s*\(?\s*"
                              r"(\d+(?:\.\d+)?)")
_ALARM_BELOW = re.compile(r"less than (?:or equal to\s*)?(?:the\s*)?threshold\s*\(?\s*(\d+(?:\.\d+)?)")
_DAILY_PERIOD = re.compile(r"period:?\s*(86400|604800)\s*s?\b")
_UTIL_BELOW = re.compile(r"(cpu|util\w*)[^\n<>]{0,30}?<\s*(\d{1,2}(?:\.\d+)?)\b(?!\s*(?:ms|s|m|h|mb|gb|k))")
_DEMAND_WORDS = ("sent", "messages", "events", "ccu", "concurrent", "players", "users", "sessions", "viewers")
_RATE_WORDS = ("rps", "qps", "req", "rate", "traffic", "/s", "/min", "publish", "incoming", "msg", "jobs", "orders",
               "uploads",
               "throughput", "load")

_UNIT_WORD = re.compile(r"/[a-z]*")
_TIME_UNITS = frozenset({"/s", "/sec", "/secs", "/second", "/min", "/mins", "/minute"})


def _says_rate(window: str, words: tuple[str, ...] = _RATE_WORDS) -> bool:
    """Whether one of `words` occurs in `window` — a unit ("/s", "/min") only where no letter follows it: "/dev/sdd"
    is a device, not a rate."""
    for w in words:
        at = window.find(w)
        while at >= 0:
            if w[0] != "/" or _UNIT_WORD.match(window, at).group(0) in _TIME_UNITS:
                return True
            at = window.find(w, at + 1)
    return False


# "per-message processing p95: 41ms -> 118ms", "handling time per event 12 ms → 31 ms": each unit of work takes longer
# than it did, so a rise in demand beside it is not the whole story (`unit_time_up`; a figure per unit of work, never
# a latency of the whole request path)
_UNIT_TIME = re.compile(r"(?:\bper[- ]|\btime per |\beach )(?:request|req|message|msg|event|job|call|record|item|query|"
                        r"order|document|doc|batch|task|row|file)\b[^\n;]{0,30}?(?<![\d.])(\d+(?:\.\d+)?) ?(ms|s|us|µs)\b"
                        r"\s*(?:->|→|=>|\bto\b)\s*~?(\d+(?:\.\d+)?) ?(ms|s|us|µs)\b")
_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}
UNIT_TIME_RISE = 1.5


def unit_time_up(text: str) -> str:
    """The phrase where the time each unit of work takes rose by UNIT_TIME_RISE or more, or ''."""
    for m in _finditer(_UNIT_TIME, text):
        before, after = float(m.group(1)) * _SECONDS[m.group(2)], float(m.group(3)) * _SECONDS[m.group(4)]
        if before > 0 and after >= UNIT_TIME_RISE * before:
            return m.group(0)
    return ""


_STATED_THRESHOLD = re.compile(r"threshold\s*(?:is\s*|of\s*|=\s*|:\s*|at\s*)?(\d{1,3}(?:\.\d+)?)\s?%")


class ScannedText(str):
    """A lowered text with its prefilter screen: the whole-text readings below skip every pattern the one prefilter
    pass rules out (prefilter.py; most texts match a few of the ~60 patterns, and running them all cost ~2 ms)."""

    screen: Screen
    deploys_at: list[re.Match[str]] | None

    def __new__(cls, lowered: str) -> ScannedText:
        scanned = super().__new__(cls, lowered)
        scanned.screen = prefilter().screen(lowered)
        scanned.deploys_at = None
        return scanned


def _may(pattern: Screenable, text: str) -> bool:
    """False only when the text's screen rules the pattern out (a plain str, or a slice of one, is never screened:
    `^`, `$` and `\\b` at a slice's edges match where they do not in the whole text)."""
    return not isinstance(text, ScannedText) or text.screen.may(pattern, None)


def _finditer(pattern: Screenable, text: str) -> Iterator[re.Match[str]]:
    """The pattern's matches; of an Alternation on a screened text, only the branches the screen lets through run
    (its branches never match an empty string)."""
    if not _may(pattern, text):
        return iter(())
    return text.screen.narrowed(pattern).finditer(text) if isinstance(text, ScannedText) else pattern.finditer(text)


def _search(pattern: Screenable, text: str) -> re.Match[str] | None:
    if not _may(pattern, text):
        return None
    return text.screen.narrowed(pattern).search(text) if isinstance(text, ScannedText) else pattern.search(text)


@functools.cache
def prefilter() -> Prefilter:
    """Every pattern of this module in one database, compiled on first use (~2 s; the analyst does it at start)."""
    return Prefilter(v for v in globals().values() if isinstance(v, re.Pattern | Alternation))


Found = tuple[float | None, str]  # a figure and the phrase it was read from; (None, "") when nothing was


def _highest(found: Iterable[tuple[float, str]]) -> Found:
    """The highest figure found (the first of equals), or (None, "")."""
    return max(found, key=lambda f: f[0], default=(None, ""))


def _lowest(found: Iterable[tuple[float, str]]) -> Found:
    """The lowest figure found (the first of equals), or (None, "")."""
    return min(found, key=lambda f: f[0], default=(None, ""))


def _stated(found: Found) -> list[tuple[float, str]]:
    """A figure as the text states it (a percentage), if found."""
    return [] if found[0] is None else [(found[0], found[1])]


def _as_share(found: Found) -> list[tuple[float, str]]:
    """A figure computed from the text (cores, load, sizes), its phrase followed by the share it makes, if found."""
    value, phrase = found
    return [] if value is None else [(value, f"{phrase} ({value:.0f}%)")]


def _over_its_threshold(text: str, phrase: str, value: float) -> float | None:
    """The alert's own threshold, stated on the same line right after the figure ("at 55.2% of 80 MB (threshold
    50%)"), when the figure is at or over it and the threshold is a real alarm level (≥ 50%): the operator has said
    this much is too much."""
    at = text.find(phrase)
    if at < 0:
        return None
    end = text.find("\n", at)
    stated = _STATED_THRESHOLD.search(text, at, min(at + 200, end if end >= 0 else len(text)))
    threshold = float(stated.group(1)) if stated else None
    return threshold if threshold is not None and 50 <= threshold <= value else None


# what the text says of a figure right after it, in its clause: that it is the usual level
# ("(normal ~90%)", "(usual 35%)" give the baseline, not a verdict)
_USUAL_LEVEL = re.compile(r"[^\n;]{0,60}?(?:\((?:which is |that is |is )?(?:typical|normal|usual|expected)\b(?![ :=~]*\d)|"
                          r"\b(?:typical|normal|usual|expected) (?:for|during|while|when|on|at) (?:a|an|the|this|every|each|its|"
                          r"our|nightly|daily|weekly|batch)\b|\bas (?:usual|expected|always|every (?:night|day|week|run)))")


def _too_high(text: str, value: float, phrase: str) -> str | None:
    """How a utilisation figure reads when it is too high — from 85%, or at the alert's own threshold — else None
    (also when the text calls it usual right after it: "(typical for a run)")."""
    at = text.find(phrase) if phrase else -1
    if at >= 0 and _USUAL_LEVEL.match(text, at + len(phrase)):
        return None
    over = None if value >= 85 else _over_its_threshold(text, phrase, value)
    if value < 85 and over is None:
        return None
    return f"{value:g}% (“{phrase}”)" + (f", over its alert threshold of {over:g}%" if over is not None else "")


# "memory threshold 85%", "alarm threshold = 90%": the level an alert fires at, no reading ("above threshold: 91%" is)
_THRESHOLD_BEFORE = re.compile(r"(?<!above )(?<!over )(?<!exceeds )(?<!exceeded )(?<!crossed )(?<!breached )"
                               r"\b(?:threshold|alarm level|alert level)\s*(?:is\s*|of\s*|=\s*|:\s*|at\s*|set to\s*)?$")


def _percent(pattern: re.Pattern[str], text: str, limit: float = 100.0) -> Found:
    def found() -> Iterator[tuple[float, str]]:
        for m in _finditer(pattern, text):
            raw = m.group(2) or m.group(3)
            if m.group(2) and _THRESHOLD_BEFORE.search(text, m.start(), m.start(2)):
                continue
            if raw is not None:
                then = _THEN.match(text, m.end())  # "35% -> 99%": the figure now is the later one
                yield float(then.group(1)) if then else float(raw), m.group(0).strip()
    return _highest(f for f in found() if f[0] <= limit)


def _share_of(found: Found) -> Found:
    """A computed share with its phrase as `_as_share` writes it."""
    return next(iter(_as_share(found)), (None, ""))


def _share(used: float, limit: float, phrase: str) -> tuple[float, str]:
    return 100.0 * used / limit, phrase


# "CPU 985m/1000m", "per-pod CPU 870m-940m of 1000m limit": millicores used of a limit (the range's top end)
_CPU_MILLI = re.compile(r"(?<![\w-])(?:cpu|vcpu|cores?)\b[^\n;]{0,30}?(?<![\d.])(\d+)m(?:\s*[-–]\s*(\d+)m)?\s*"
                        r"(?:of|/|out of)\s*(\d+)m\b")


def _cpu_cores(text: str) -> Found:
    pairs = [(float(m.group(2)), float(m.group(3)), m.group(0).strip())
             for m in (*_finditer(_CPU_CORES, text), *_finditer(_CORES_OF, text), *_finditer(_CORES_USED, text))]
    pairs += [(float(m.group(2) or m.group(1)) / 1000, float(m.group(3)) / 1000, m.group(0).strip())
              for m in _finditer(_CPU_MILLI, text)]
    return _highest(_share(*p) for p in pairs if 0 < p[1] <= 256 and p[0] <= p[1] * 1.05)


def _load_or_pct_cpu(text: str) -> Found:
    loads = ((float(m.group(2)), int(m.group(3)), m.group(0).strip()) for m in _finditer(_LOAD, text))
    percents = ((float(m.group(1) or m.group(2)), m.group(0).strip()) for m in _finditer(_PCT_CPU_FIRST, text))
    return _highest([*(_share(*p) for p in loads if 0 < p[1] <= 1024), *(f for f in percents if f[0] <= 6400)])


def _alarm_threshold(text: str, kind: str) -> Found:
    """A cloud alarm's own statement (CloudWatch style): MetricName CPUUtilization crossed 'the threshold (95.0)'."""
    metric = _search(_ALARM_METRIC, text) or _search(_ALARM_NAME, text)
    crossed = _search(_ALARM_THRESHOLD, text)
    if metric and crossed and kind in metric.group(1):
        return float(crossed.group(1)), f"{metric.group(1)} {crossed.group(0)}"
    return None, ""


_SIZE_MB = {"g": 1024.0, "gi": 1024.0, "gb": 1024.0, "m": 1.0, "mi": 1.0, "mb": 1.0}
# a word naming memory (in the lowered text), also inside a metric's or an alert's name ("container_memory_working_set",
# "containermemoryhigh"); its short forms only as words of their own (not "histogram", "parameter", "member")
_MEMORY_WORD = re.compile(r"memory|heap|rss|limit|working[ _]set|(?<![a-z])(?:mem|ram)(?![a-z])")
# before a size on its own line: a disk, a volume or a path, or what is counted in millions ("tile requests this
# month 49.9M / 50M plan limit"): no memory figure
_NOT_MEMORY_BEFORE = re.compile(r"\b(disk|filesystem|file system|volume|storage|mount\w*|pvc|partition|inodes?|df|"
                                r"requests|calls|messages|events|records|rows|hits|impressions)\b|(?<![\w.])/[a-z]")


_CPU_RIGHT_BEFORE = re.compile(r"\b(?:cpu|vcpu|cores?)\b[^\n,;]{0,8}$")


def _near_memory_word(text: str, start: int, end: int) -> bool:
    """Whether a memory word stands within 60 characters before or 30 after (the alert's name on the line above
    counts), unless the figure's own line names a disk, a volume, a path or a count before it ("node-exporter:
    /var/lib/containerd 88G of 100G" under a line about MemoryPressure is no memory reading)."""
    if _NOT_MEMORY_BEFORE.search(text, line_span(text, start)[0], start):
        return False
    if _CPU_RIGHT_BEFORE.search(text, max(0, start - 16), start):
        return False  # "CPU 985m/1000m": millicores, not megabytes
    return _MEMORY_WORD.search(text[max(0, start - 60):end + 30]) is not None


def _memory_ratio(text: str) -> Found:
    pairs = ((float(m.group(1)) * _SIZE_MB[m.group(2)], float(m.group(3)) * _SIZE_MB[m.group(4)],
              m.group(0)) for m in _finditer(_MEMORY_RATIO, text) if _near_memory_word(text, m.start(), m.end()))
    return _highest(_share(*p) for p in pairs if p[1] > 0 and p[0] <= p[1] * 1.2)


def _replicas(text: str) -> tuple[int | None, str]:
    counts = ((m.group(2) or m.group(1) or m.group(5), m.group(0)) for m in _finditer(_REPLICAS, text))
    value, phrase = _highest((int(raw), phrase) for raw, phrase in counts if raw is not None and 0 < int(raw) <= 1000)
    return (int(value) if value is not None else None), phrase


_RANGE_END = re.compile(r"\s*[-–]\s*(\d[\d,.]*)")


def _ratios(text: str, pattern: re.Pattern[str], now: tuple[int, int], base: tuple[int, int],
            near: tuple[str, ...] = ()) -> Iterator[tuple[float, str]]:
    """now / base for every match (groups: the figure and its k/M suffix); with `near`, only matches with one of
    those words just before or inside them."""
    for m in _finditer(pattern, text):
        if near and not _says_rate(text[max(0, m.start() - 40):m.end()], near):
            continue
        a, b = _number(m.group(now[0]), m.group(now[1])), _number(m.group(base[0]), m.group(base[1]))
        # a baseline given as a range ("baseline 0.2-0.4/s") is read at its low end; a figure inside it is flat
        upper = _RANGE_END.match(text, m.end(base[0]))
        high = _number(upper.group(1), m.group(base[1])) if upper else None
        if a and b:
            yield (1.0 if high is not None and b <= a <= high else a / b), m.group(0)


MAX_DEMAND_RATIO = 100.0  # past this a "ratio" is two unrelated figures read as one (1,420 rpm over a 0.9% rate)


# a multiple whose own clause is about failures, latency or resources is no demand ("ICE failure rate 0.37
# (baseline 0.02)", "p99 3x normal", "heap 2x yesterday"): the clause runs from the last line, ';' or ',' break
_NOT_DEMAND = re.compile(r"(?<![a-z])(?:errors?|fail\w*|5xx|4xx|latenc\w*|p9\d|timeouts?|retr(?:y|ies)|retransmi\w*|"
                         r"packet loss|lag|gc|heap|memory|rss|cpu|iowait|reject\w*|exceptions?|crash\w*|restarts?|"
                         r"disconnect\w*|drop(?:s|ped)?|evict\w*|abort\w*|resets?|naks?|loss|duration|"
                         r"(?:processing|response|batch|run|render|query|build|job|step|handling|service) time|"
                         # requests in flight: arrival rate × time taken, which piles up as well when nothing finishes
                         # ("W3SVC_W3WP Active Requests 251 (normal < 10), Requests/sec 0.0")
                         r"(?:active|in-?flight|executing|current|queued|pending) requests|"
                         r"requests (?:in flight|in-flight|executing|queued|pending))(?![a-z])")


_CONNECTIONS = re.compile(r"\bconn(?:ection)?s\b")


# demand remembered from an earlier peak ("last year's opening hour peaked at 6.8k rps (normal ~900)") is a forecast,
# not demand now
_PAST_PEAK = re.compile(r"\blast (?:year|season|sale|event|time|launch|peak|storm)\b|\ba year ago\b|"
                        r"\bprevious (?:year|season|sale|event|launch|peak)\b")


def _about_demand(text: str, phrase: str) -> bool:
    at = text.find(phrase)
    if at < 0:
        return True
    start = max(text.rfind("\n", 0, at), text.rfind(";", 0, at), text.rfind(", ", 0, at))
    return not (_NOT_DEMAND.search(text, start + 1, at + len(phrase))
                or _PAST_PEAK.search(text, start + 1, at + len(phrase)))


# "requests: 19:00 45 rps | 19:30 190 | 19:45 410 | 19:55 505", "requests Mon 2.1k, Tue 4.9k, Wed 6.8k": a rate
# stamped by clock time or weekday, rising at every step; its growth is last over first
_SERIES_POINT = re.compile(r"(?:(?<![\d:.])\d{1,2}:\d{2}(?![:\d])|\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6}\b)"
                           r"(?:\s*\([^)\n]{0,20}\))?\s*[:=]?\s*~?(\d[\d,]*(?:\.\d+)?)(?![\d.,]?\d)\s*(k(?![a-z]))?"
                           r"(?!\s*(?:%|ms\b|s\b|mi?b|gi?b))")  # a whole figure: "120ms" is no 12
_SERIES_MIN_POINTS = 3


def _rate_series(text: str) -> Iterator[tuple[float, str]]:
    """last / first of each line's rising series of demand figures (a rate word on the line, every step up)."""
    for line in text.split("\n"):
        if not _says_rate(line):  # "req" covers "requests"
            continue
        values = [v for m in _SERIES_POINT.finditer(line) if (v := _number(m.group(1), m.group(2))) is not None]
        if len(values) >= _SERIES_MIN_POINTS and values[0] > 0 and values == sorted(values):
            yield values[-1] / values[0], line.strip()


# a table whose columns are now and a baseline: "                 now (17:40)   same time last week" over rows
# "  rps            9.4k          3.1k" — each row of a demand word gives now / then
_NOW_THEN_HEADER = re.compile(r"(?:^|\n)[ \t]*(?:[|:][ \t]*)?now\b[^\n]{0,30}?\b(?:same time last week|last week|a week ago|"
                              r"yesterday|baseline|usual|normal|typical|last (?:mon|tues|wednes|thurs|fri|satur|sun)day)\b"
                              r"[^\n]*")
_TABLE_ROW = re.compile(r"[ \t|]*([a-z][a-z /_.-]{0,24}?)[ \t|]{2,}(\d[\d,]*(?:\.\d+)?)\s?([km])?(?![\w.%])[^\n\d]{0,12}?"
                        r"(\d[\d,]*(?:\.\d+)?)\s?([km])?(?![\w.%])")
TABLE_ROWS = 8  # lines read under a now/baseline header, up to a blank one


def _now_then_table(text: str) -> Iterator[tuple[float, str]]:
    """now / baseline of each demand row of a table headed by "now … same time last week" (or another baseline)."""
    for header in _finditer(_NOW_THEN_HEADER, text):
        for line in text[header.end():].split("\n", TABLE_ROWS + 1)[1:TABLE_ROWS + 1]:
            if not line.strip():
                break
            row = _TABLE_ROW.match(line)
            if row is None:
                continue
            now, then = _number(row.group(2), row.group(3)), _number(row.group(4), row.group(5))
            if now is not None and then and _says_rate(row.group(1), _RATE_WORDS + _DEMAND_WORDS):
                yield now / then, row.group(0).strip()


def _demand_ratio(text: str) -> Found:
    return _highest(f for f in [
        *_rate_series(text), *_now_then_table(text),
        *((float(m.group(1) or m.group(2)), m.group(0)) for m in _finditer(_RATIO, text)),
        *((float(m.group(1)), m.group(0)) for m in _finditer(_RATIO_VS_PERIOD, text)
          if _says_rate(text[max(0, m.start() - 40):m.end()], _RATE_WORDS + _DEMAND_WORDS)),
        *((1 + float(m.group(1) or m.group(7)) / 100, m.group(0)) for m in _finditer(_PCT_ABOVE, text)),
        *_ratios(text, _FROM_TO, (4, 5), (1, 2)),
        *((1 + float(m.group(2)) / 100, m.group(0)) for m in _finditer(_TRAFFIC_PLUS, text)),
        *_ratios(text, _PAREN_NORMAL, (1, 2), (3, 4), near=_RATE_WORDS),
        *_ratios(text, _FROM_TO_CONTEXT, (4, 5), (2, 3)),
        *_ratios(text, _ARROW, (4, 5), (2, 3)),
        *_ratios(text, _VS, (2, 3), (4, 5)),
        *_ratios(text, _COUNT_VS, (1, 2), (4, 5)),
        *_ratios(text, _VS_BASELINE, (1, 2), (5, 6)),
        *_ratios(text, _WORD_THEN_PAREN_BASE, (2, 3), (4, 5)),
        *_ratios(text, _RATE_THEN_BASE, (1, 2), (4, 5)),
        *_ratios(text, _RATE_THEN_PAST, (1, 2), (4, 5)),
        *_ratios(text, _BASELINE_ARROW, (3, 4), (1, 2)),
    ] if f[0] <= MAX_DEMAND_RATIO and _about_demand(text, f[1]) and not _per_unit(text, f[1]))


def _per_unit(text: str, phrase: str) -> bool:
    """Whether a rate is each worker's speed ("per-pod throughput 533 msg/s vs 540 msg/s/pod"), not the demand."""
    at = text.find(phrase)
    return at >= 0 and bool(_PER_UNIT.search(text, max(0, at - 16), at) or _PER_UNIT_AFTER.match(text, at + len(phrase)))


# "the other 3 workers at 5-6 % CPU": the idle figure is the siblings' beside the busy one, not the service's
_SIBLINGS_BEFORE = re.compile(r"\b(?:the other|other \d+|the remaining|the rest of the|siblings?)\b[^\n;,|]*$")


def _siblings(text: str, m: re.Match[str]) -> bool:
    return bool(_SIBLINGS_BEFORE.search(text, max(0, m.start() - 60), m.start() + 1))


def _low_utilisation(text: str) -> Found:
    below = ((float(m.group(2)), m.group(0).strip()) for m in _finditer(_UTIL_BELOW, text))  # "avg(21d)}<5"
    stated = ((float(m.group(2) or m.group(3)), m.group(0).strip()) for m in _finditer(_UTILISATION, text)
              if not _siblings(text, m))
    return _lowest(f for f in (*below, *stated) if f[0] <= 15)


_QUOTED = re.compile(r"“([^”]+)”")


# a utilisation figure in a clause about a datastore or broker is that component's, unless the alert is about it:
# "Azure Cache for Redis (Platform team): server load 97%" is no CPU of the API in front of it
_COMPONENT = re.compile(r"(?<![a-z])(redis|memcached?|postgres\w*|mysql|mariadb|aurora|rds|oracle|sql ?server|mongo\w*|"
                        r"cassandra|elasticsearch|opensearch|kafka|rabbitmq|cosmos\w*|dynamodb|clickhouse|etcd|zookeeper|"
                        r"database|db)(?![a-z])")


def _another_components(text: str, phrase: str, service: str) -> bool:
    at = text.find(phrase)
    if at < 0:
        return False
    start = max(text.rfind("\n", 0, at), text.rfind(";", 0, at), text.rfind("|", 0, at)) + 1
    named = {m.group(1) for m in _COMPONENT.finditer(text, start, at + len(phrase))}
    ours = service.lower()
    return bool(named) and not any(n in ours or (n == "database" and "db" in ours) for n in named)


def _occurrences(text: str, name: str) -> Iterator[int]:
    """Where `name` starts in `text`. A service's name is matched as a string, not compiled into a regex: a regex per
    name missed re's cache on every new name and cost ~0.4 ms to compile."""
    at = text.find(name)
    while at >= 0:
        yield at
        at = text.find(name, at + 1)


def _apart(text: str, at: int, name: str) -> bool:
    """Whether the `name` found at `at` stands whole: no word character or '-' on either side ("profile-api" in
    "profile-api:", not in "profile-api-3"), as the regex `(?<![\w-])name(?![\w-])` reads it."""
    def apart(ch: str) -> bool:
        return not (ch.isalnum() or ch in "_-")
    return (at == 0 or apart(text[at - 1])) and (at + len(name) == len(text) or apart(text[at + len(name)]))


def _names(text: str, name: str) -> bool:
    """`name` stands in `text` as a whole name, not part of a longer one."""
    return any(_apart(text, at, name) for at in _occurrences(text, name))


def _line_of_phrase(text: str, phrase: str) -> str:
    """The line a reading's phrase was read from (a computed share's " (95%)" is not in the text)."""
    at = text.find(phrase)
    if at < 0 and " (" in phrase:
        at = text.find(phrase.rsplit(" (", 1)[0])
    return "" if at < 0 else line_of(text, at)


_HOST_LEVEL = re.compile(r"\b(?:hosts?|nodes?|system|vms?|machines?|servers?)\b|\bsystem\.cpu|\bnode_cpu|\bip-\d")
_CONTAINER_LEVEL = re.compile(r"\b(?:containers?|pods?|process(?:es)?|tasks?)\b|\bcontainer[._]")


def _own_figure(text: str, service: str, figure: Found, finders: tuple[Callable[[str], Found], ...]) -> Found:
    """The service's own utilisation where the highest figure is a host's: the lines naming `service`, or a
    container's figures when the hot line is a host's, all state a lower one ("HostHighCpuLoad … current 97%" beside
    "wafer-yield-calc uses 0.16 cores of 8 (2%)"): the host's load says nothing of a service using 2% of it."""
    value, phrase = figure
    if value is None:
        return figure
    hot = _line_of_phrase(text, phrase)
    ours = service.lower()
    if len(ours) >= 4 and ours in hot:  # the service or one of its replicas ("profile-api-3") is the hot one
        return figure
    named = len(ours) >= 4
    host_level = bool(_HOST_LEVEL.search(hot)) and not _CONTAINER_LEVEL.search(hot)
    if not named and not host_level:
        return figure
    lines = [line for line in text.split("\n")  # plain slices: never screened
             if (named and _names(line, ours)) or (host_level and _CONTAINER_LEVEL.search(line))]
    own = _highest(f for line in lines for finder in finders if (f := finder(line))[0] is not None)
    return own if own[0] is not None and own[0] < value else figure


def _as_written(lines: dict[str, str], original: str, lowered: str) -> dict[str, str]:
    """The quoted phrases of the lines in the text's own case (every pattern reads the lowered text)."""
    if len(original) != len(lowered):  # a character whose lower case is longer: positions no longer line up
        return lines

    def restore(m: re.Match[str]) -> str:
        phrase, share = m.group(1), ""
        if phrase not in lowered and " (" in phrase:  # a computed share follows the phrase: "7.6g/8g (95%)"
            phrase, share = phrase.rsplit(" (", 1)
            share = f" ({share}"
        at = lowered.find(phrase)
        return f"“{original[at:at + len(phrase)]}{share}”" if at >= 0 else m.group(0)
    return {name: _QUOTED.sub(restore, line) for name, line in lines.items()}


def _one_caller(text: str) -> Found:
    """The largest share one caller holds of a breakdown by caller (a table on one line, rows of lines, or "N of M"),
    when the breakdown counts at least MIN_BREAKDOWN."""
    shares: list[tuple[float, str]] = []
    for m in _finditer(_BY_CALLER, text):
        counts = [_number(c.group(1)) or 0.0 for item in _ITEM_BREAK.split(m.group(1))
                  if (c := _COUNT_AT_END.search(item))]
        if len(counts) >= 2 and sum(counts) >= MIN_BREAKDOWN:
            shares.append((max(counts) / sum(counts), m.group(0).strip()))
        elif stated := _SHARE_OF_ALL.search(m.group(1)):  # "by @device_id: ZB-017 -> 9,790 (99.8 % of the 401s)"
            shares.append((float(stated.group(1)) / 100, m.group(0).strip()))
    rows = [(_number(r.group(1)) or 0.0, r.group(0).strip()) for r in _finditer(_CALLER_ROW, text)]
    if len(rows) >= 2 and sum(n for n, _ in rows) >= MIN_BREAKDOWN:
        top = max(rows)
        shares.append((top[0] / sum(n for n, _ in rows), top[1]))
    for m in _finditer(_CALLER_SENT_OF, text):
        part, whole = _number(m.group(1)) or 0.0, _number(m.group(2)) or 0.0
        if whole >= MIN_BREAKDOWN and part <= whole:
            shares.append((part / whole, m.group(0).strip()))
    return _highest(shares)


# Who holds a database's connections: the rows of "select application_name, count(*) from pg_stat_activity"
# (" usage-reporting | 431"), or a lock's holder named with its application ("pid 27310
# application_name=outage-merge-job state='idle in transaction'")
_HOLDERS_HEADER = re.compile(r"pg_stat_activity|pg_stat_statements|application_name|\busename\b|processlist|"
                             r"connections (?:by|per) (?:app\w*|client|user|service|role)|\bby (?:application|usename)\s*:")
# "name | count", "name: count", or with columns between ("bi-extract | idle in transaction | 311")
_HOLDER_ROW = re.compile(r"[ \t]*([a-z][\w.-]*(?: [\w.-]+)?)[ \t]*(?:\|[ \t]*[a-z][a-z _()-]*)*[|:][ \t]*(\d[\d,]*)[ \t]*")
_TABLE_RULE = re.compile(r"[ \t]*(?:[-+=|]+|[a-z_ ]+(?:\|[a-z_ ()*]+)+)[ \t]*")  # "-----+-----", "application_name | count"
_LOCK_HOLDER = re.compile(r"application_name[ \t]*[=:][ \t]*['\"]?([a-z][\w.-]*)['\"]?[^\n]{0,80}?"
                          r"\b(idle in transaction|holding|holds)\b|"
                          r"\b(?:idle in transaction|holding|holds)\b[^\n]{0,80}?"
                          r"application_name[ \t]*[=:][ \t]*['\"]?([a-z][\w.-]*)|"
                          r"(?:\b|_)block(?:ing|er|s)(?:\b|_)[^\n]{0,80}?application_name[ \t]*[=:][ \t]*['\"]?([a-z][\w.-]*)|"
                          # "waiting on Lock: relation (recipe_versions) held by sales-forecast pid 88121"
                          r"\block\b[^\n]{0,60}?\bheld by ([a-z][\w.-]*)")
# the database's top consumer named on one line: "pg_stat_statements top by total_time: user bi_reader", "SHOW FULL
# PROCESSLIST: 12 threads user=finance_rpt"
_TOP_CONSUMER = re.compile(r"\b(?:pg_stat_statements|processlist|top (?:queries|sessions|consumers|statements))\b"
                           r"[^\n]{0,60}?\b(?:user|usename|application|application_name)\b[ \t]*[=:]?[ \t]*['\"]?"
                           r"([a-z][\w.-]*)")
# connections counted per holder on one line: "processlist by user: timekeeping_sync 431 (Command=Sleep), crew_roster 48"
_INLINE_HOLDERS = re.compile(r"(?:\b|_)(?:processlist|pg_stat_activity|connections|sessions|backends|threads)\b[^\n:]{0,40}"
                             r"\bby (?:user|usename|application|app|application_name|client|service|role)\b[^\n:]{0,20}:"
                             r"([^\n]+)")
_INLINE_HOLDER = re.compile(r"(?:^|[,;])\s*([a-z][\w.-]*)\s*[:=]?\s*(\d[\d,]*)\b")
_NOT_HOLDERS = frozenset({"other", "others", "total", "rest", "sum"})
# another service named as the holder at the head of its clause: "fleet-maintenance-api started a parts-history
# backfill at 09:55 holding 300 client conns / all 50 server conns"
_NAMED_HOLDING = re.compile(rf"(?:^|\n|[|;])[ \t]*{_SERVICE_NAME}\b[^\n|;]{{0,80}}?\b(?:holding|holds|hogging|hogs|"
                            r"monopoli[sz]ing|takes|taking)\b (?:all |every |the )?(?:\d[\d,]* )?(?:of the )?"
                            r"(?:client |server |db |database |pooler |pgbouncer )?(?:conns?|connections|slots)\b")


def _same_app(name: str, ours: set[str]) -> bool:
    """Whether an application name is the service's own: a word in common, or one a short form of the other
    ("verif-api" for forecast-verification-api)."""
    return any(a.startswith(b) or b.startswith(a) for a in _tokens(name) for b in ours if min(len(a), len(b)) >= 4) \
        or bool(_tokens(name) & ours)


def _another_app(name: str, service: str, ours: set[str]) -> bool:
    """A holder named differently from `service`: not one of its words, however short ("qc" of qc-analyzer)."""
    return len(name) >= 3 and name not in re.split(r"[-_.]", service) and not _same_app(name, ours)


def _table_after(text: str, at: int) -> list[tuple[float, str, str]]:
    """(count, name, row) of the rows of the table that starts on the line after `at`: consecutive "name | count"
    lines, past a header or rule line; the first other line ends it."""
    rows: list[tuple[float, str, str]] = []
    for line in text[at:].split("\n")[1:]:
        if (row := _HOLDER_ROW.fullmatch(line)) is not None:
            rows.append((_number(row.group(2)) or 0.0, row.group(1).strip(), line.strip()))
        elif rows or not _TABLE_RULE.fullmatch(line):
            break
    return rows


def _held_elsewhere(text: str, service: str) -> str:
    """What says another application, not `service`, holds the database's connections or the lock its queries wait
    on: then neither restarting nor scaling `service` frees them. "" when nothing says so or the service is unnamed."""
    ours = _tokens(service)
    if not ours:
        return ""
    named = next((m for m in _finditer(_NAMED_HOLDING, text)
                  if m.group(1) not in _NOT_NAMES and _another_app(m.group(1), service, ours)), None)
    if named:
        return named.group(0).strip()
    header = _search(_HOLDERS_HEADER, text)
    if header is None:
        return ""
    held = next((m for m in _finditer(_LOCK_HOLDER, text)
                 if not _same_app(m.group(1) or m.group(3) or m.group(4) or m.group(5), ours)), None)
    if held:
        return held.group(0)
    rows = _table_after(text, header.end())
    if len(rows) < 2:
        inline = _search(_INLINE_HOLDERS, text)
        rows = [(_number(m.group(2)) or 0.0, m.group(1), inline.group(0).strip())
                for m in _INLINE_HOLDER.finditer(inline.group(1)) if m.group(1) not in _NOT_HOLDERS] if inline else []
    if len(rows) < 2:
        top = next((m for m in _finditer(_TOP_CONSUMER, text) if _another_app(m.group(1), service, ours)), None)
        return top.group(0) if top else ""
    per_app: dict[str, float] = {}  # one application's rows in several states add up
    for count, name, _ in rows:
        per_app[name] = per_app.get(name, 0.0) + count
    top = max(per_app, key=per_app.__getitem__)
    mine = max((n for name, n in per_app.items() if _same_app(name, ours)), default=0.0)
    return next(row for _, name, row in rows if name == top) \
        if not _same_app(top, ours) and mine <= per_app[top] / 2 else ""


# "consume rate flat at 8.7k msg/s" while the lag grows: what the consumers manage, at their ceiling, not the demand
_OUTPUT_RATE_BEFORE = re.compile(r"\b(?:consum\w*|consumer|dequeue\w*|ack(?:ed)?|drain\w*|processing|processed)"
                                 r"(?: \w+)?\W{0,3}$")
# "rps 1,840 (normal morning 350)": a figure for the baseline inside the brackets the word opens compares, not flat
# ("(normal for 3am)" says flat for the hour)
_FIGURE_IN_BRACKETS = re.compile(r"(?!\s*for\b)[^)\n]{0,25}?\d(?![\d,.]*\s*(?:am|pm)\b)")


def _baseline_in_brackets(text: str, flat: re.Match[str]) -> bool:
    """Whether the flat word opens brackets that give the baseline's own figure ("(normal morning 350)")."""
    at = flat.start(2) if flat.group(2) else -1
    return at > 0 and text[at - 1] == "(" and bool(_FIGURE_IN_BRACKETS.match(text, flat.end()))


def _demand(text: ScannedText) -> tuple[float | None, str, re.Match[str] | None]:
    """Demand against its baseline (ratio, its words) and the words saying it is flat, if any."""
    ratio, ratio_line = _demand_ratio(text)
    # "requests 2.3x a normal Sunday" is no flat demand: a multiplier or comparison between the words says otherwise
    flat = next((m for m in _finditer(_TRAFFIC_FLAT, text) if not _COMPARED.search(m.group(0))
                 and not _PER_UNIT.search(text, max(0, m.start() - 16), m.start())
                 and not _PER_UNIT_AFTER.match(text, m.end()) and not _PER_UNIT_WITHIN.search(m.group(0))
                 and not _PER_JUST_BEFORE.search(text, max(0, m.start() - 5), m.start())
                 and not _MOVES_WITH.search(text, max(0, m.start() - 25), m.start())
                 and not _baseline_in_brackets(text, m)
                 and not _OUTPUT_RATE_BEFORE.search(text, max(0, m.start() - 25), m.start())), None)
    if flat and ratio is not None and _CONNECTIONS.search(ratio_line):  # connections held longer are no demand
        ratio, ratio_line = None, ""
    return ratio, ratio_line, flat


def demand_ratio(text: str) -> float | None:
    """`read(text).demand_ratio` without the other readings (the SCALE_UP size is chosen from it)."""
    return _demand(ScannedText(text.lower()))[0]


# "cpu per pod: 13:09 1.7 cores | 13:12 1.4 | 13:15 0.6 | 13:18 0.3 (steady state 0.25-0.35)": a series that rose well
# above the normal the text states beside it and has come back to it — what fired the alert is already over
_STATED_NORMAL = re.compile(r"\((?:[\w-]+ ){0,2}?(?:normal|steady[- ]state|baseline|usual|typical|normally)\s*[:=]?\s*(?:is\s*)?(?:[<≤]|under|below)?\s*~?"
                            r"(\d[\d,]*(?:\.\d+)?)(?:\s?([km])\b)?(?:\s*(?:[-–]|to)\s*~?(\d[\d,]*(?:\.\d+)?)(?:\s?([km])\b)?)?"
                            r"[^)\n]{0,12}\)")
_CLOCK_OR_DATE = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\b|\b\d{4}-\d{2}-\d{2}\S*")
_SERIES_STEP = re.compile(r"->|→|=>|\|")
_FIGURE = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)(?:\s?([km])\b)?")  # "1.06m", "400k", "0.35"


def _back_to_normal(text: str) -> str:
    """The line of a series whose last figure is back within its stated normal after one at 1.5× it or more, or ''."""
    for line in text.split("\n"):
        for normal in _STATED_NORMAL.finditer(line):
            series = line[:normal.start()].split(";")[-1]
            if not _SERIES_STEP.search(series):
                continue
            figures = [_number(*f) or 0.0 for f in _FIGURE.findall(_CLOCK_OR_DATE.sub(" ", series))]
            top = _number(*normal.group(3, 4)) if normal.group(3) else _number(*normal.group(1, 2))
            if len(figures) >= 2 and top and figures[-1] <= top * 1.1 and max(figures[:-1]) >= top * 1.5:
                return line.strip()
    return ""


def read(text: str, deployed_minutes_ago: float | None = None, service: str = "") -> Readings:
    """Every reading of one incident's text; `deployed_minutes_ago` is the platform's own record, if any; `service`
    is the alert's target (a deploy the text attributes to another service is not this one's).

    The patterns are written in lower case and read the lowered text: 3× faster than case-insensitive matching."""
    original, text = text, ScannedText(text.lower())
    features: set[str] = set()
    lines: dict[str, str] = {}

    memory, memory_line = _highest([*_stated(_percent(_MEMORY_PCT, text)), *_as_share(_memory_ratio(text)),
                                     *_as_share(_alarm_threshold(text, "mem"))])
    memory, memory_line = _own_figure(text, service, (memory, memory_line), (
        lambda line: _percent(_MEMORY_PCT, line), lambda line: _share_of(_memory_ratio(line))))
    if memory is not None and _another_components(text, memory_line, service):
        memory = None
    if memory is not None:
        if (high := _too_high(text, memory, memory_line)) is not None:
            features.add("high_memory")
            lines["high_memory"] = f"memory at {high}"
        elif memory < 70:
            features.add("low_memory")
            lines["low_memory"] = f"memory only at {memory:g}% (“{memory_line}”)"

    cpu, cpu_line = _highest([*_stated(_percent(_CPU_PCT, text, limit=6400.0)),  # top prints 398% for 4 busy cores
                              *_stated(_percent(_CPU_CURRENT, text)),  # "CPU % above 90 … Current: 97.4%"
                              *_as_share(_cpu_cores(text)), *_as_share(_load_or_pct_cpu(text)),
                              *_as_share(_alarm_threshold(text, "cpu"))])
    cpu, cpu_line = _own_figure(text, service, (cpu, cpu_line), (
        lambda line: _percent(_CPU_PCT, line, limit=6400.0), lambda line: _share_of(_cpu_cores(line))))
    if cpu is not None and _another_components(text, cpu_line, service):
        cpu = None
    if cpu is not None:
        if (high := _too_high(text, cpu, cpu_line)) is not None:
            features.add("high_cpu")
            lines["high_cpu"] = f"CPU at {high}"
        elif cpu <= 30:
            features.add("low_cpu")
            lines["low_cpu"] = f"CPU only at {cpu:g}% (“{cpu_line}”)"

    if falling := draining(text):
        features.add("backlog_draining")
        lines["backlog_draining"] = f"the backlog is already falling (“{falling}”)"

    if cut := lowered_limit(text):
        features.add("limit_lowered")
        lines["limit_lowered"] = f"a change lowered the memory limit (“{cut}”)"

    if room := autoscaler_room(text):
        features.add("autoscaler_has_room")
        lines["autoscaler_has_room"] = f"the autoscaler has room below its maximum (“{room}”)"

    levelled, climbing = memory_shape(text)
    if levelled:
        features.add("memory_levelled")
        lines["memory_levelled"] = f"memory rose, then held level well below its limit (“{levelled[:160]}”)"
    elif climbing:
        features.add("memory_climbs")
        lines["memory_climbs"] = f"memory climbs reading after reading and has not stopped (“{climbing[:160]}”)"

    if older_holds_more := memory_tracks_uptime(text):
        features.add("memory_tracks_uptime")
        lines["memory_tracks_uptime"] = f"memory rises with uptime across instances (“{older_holds_more[:160]}”)"

    replicas, replicas_line = _replicas(text)
    if replicas is not None and replicas >= 3:
        features.add("many_replicas")
        lines["many_replicas"] = f"{replicas} replicas (“{replicas_line}”)"

    ratio, ratio_line, flat = _demand(text)
    up = next((m for m in _finditer(_TRAFFIC_UP, text)
               if not _NOTHING_BEFORE.search(text, max(0, m.start() - 24), m.start())
               and not _DENIED_WITHIN.search(m.group(0)) and not _FAILURES_WITHIN.search(m.group(0))), None)
    if ratio is not None and ratio >= 1.5:
        features.add("traffic_rising")
        lines["traffic_rising"] = f"demand at {ratio:.1f}× its baseline (“{ratio_line}”)"
    elif up and not flat and ratio is None:  # a measured ratio outweighs a word ("requests … rising")
        features.add("traffic_rising")
        lines["traffic_rising"] = f"demand rising (“{up.group(0)}”)"
    elif ratio is not None and ratio >= 1.2:  # "+35% vs last week": could carry a CPU rise, too little to scale for
        features.add("traffic_up_some")
        lines["traffic_up_some"] = f"demand at {ratio:.2f}× its baseline (“{ratio_line}”)"
    if flat and "traffic_rising" not in features:
        features.add("traffic_flat")
        lines["traffic_flat"] = f"demand flat (“{flat.group(0)}”)"
    elif ratio is not None and 0.8 <= ratio < 1.2 and not _PER_UNIT_WITHIN.search(ratio_line):
        # a steep drop is not "flat" demand, nor is one pod's rate near its capacity
        features.add("traffic_flat")
        lines["traffic_flat"] = f"demand near its baseline (“{ratio_line}”)"

    if ratio is not None and ratio < 0.8 and "traffic_rising" not in features:
        # "rps 2.9k -> 1.1k", "61k -> 42k since 07:00": demand has fallen below what it was, so more replicas answer
        # nothing now
        features.add("traffic_falling")
        lines["traffic_falling"] = f"demand fell to {ratio:.2f}× what it was (“{ratio_line}”)"

    if slower := unit_time_up(text):
        features.add("unit_time_up")
        lines["unit_time_up"] = f"each unit of work takes longer than it did (“{slower}”)"

    holder = _held_elsewhere(text, service)
    if holder:
        features.add("pool_held_elsewhere")
        lines["pool_held_elsewhere"] = f"another application holds the connections or the lock (“{holder[:90]}”)"
    if sidecar := sidecar_alerted(text, service):
        features.add("sidecar_alert")
        lines["sidecar_alert"] = f"the alert's container is the sidecar {sidecar}, not the service's own process"
    share, share_line = _one_caller(text)
    if share is not None and share >= ONE_CALLER_SHARE:
        features.add("one_caller")
        lines["one_caller"] = f"one caller behind {share:.1%} of a breakdown by caller (“{share_line[:90]}”)"

    low, low_line = _low_utilisation(text)
    below = _search(_ALARM_BELOW, text)
    if low is None and below and float(below.group(1)) <= 15 and re.search(r"cpu|utili[sz]ation", text):
        low, low_line = float(below.group(1)), below.group(0)
    # "no deploy or config change since 2024-10-11" dates a change, not a window of utilisation
    window = next((m for m in _finditer(_LONG_WINDOW, text)
                   if not _search(_DEPLOY_WORD, text[line_span(text, m.start())[0]:m.start()])), None) \
        or _search(_DAILY_PERIOD, text)
    if low is not None:
        features.add("low_utilisation")
        lines["low_utilisation"] = f"utilisation {low:g}% (“{low_line}”)"
    if window:
        features.add("long_window")
        lines["long_window"] = f"over a long window (“{window.group(0).strip()}”)"

    age, age_line = _deploy_age(text, service, original)
    if age is not None and age < 720 and _denies_our_deploy(text, service, age_line):
        age, age_line = None, ""
    if deployed_minutes_ago is not None and (age is None or deployed_minutes_ago < age):
        age, age_line = deployed_minutes_ago, "the platform's inventory"
    no_deploy = next((m for m in _finditer(_NO_DEPLOY, text) if not _names_another(text, m.end(), service)), None)
    recent_words = next((m for m in _finditer(_RECENT_DEPLOY_WORDS, text) if not _elsewhere(text, *m.span(), service)
                         and not _LONG_AGO.search(_clause(text, *m.span()))), None)
    cleared = _search(_DEPLOY_CLEARED, text)
    ran_clean = "" if cleared or age is None or age > 180 else \
        _ran_clean_after(text, [at for _, at in _clock_deploys(text, service)]) or before_after_alike(str(text))
    if cleared or ran_clean:
        features.add("old_deploy")
        lines["old_deploy"] = f"the text clears the deploy (“{cleared.group(0).strip() if cleared else ran_clean}”)"
    elif age is not None and age <= 180:
        features.add("recent_deploy")
        lines["recent_deploy"] = f"deployed {age:g} min before the alert (“{age_line}”)"
    elif age is not None and age >= 720:
        features.add("old_deploy")
        lines["old_deploy"] = f"last deploy {age / 1440:.1f} days before (“{age_line}”)"
    elif recent_words and not (no_deploy and _denied(text, recent_words)):
        features.add("recent_deploy")
        lines["recent_deploy"] = f"failures follow a deploy (“{recent_words.group(0).strip()}”)"
    if no_deploy and "recent_deploy" not in features:
        features.add("old_deploy")
        lines["old_deploy"] = f"no recent deploy (“{no_deploy.group(0)}”)"

    if back := _back_to_normal(str(text)):
        features.add("back_to_normal")
        lines["back_to_normal"] = f"back to its stated normal (“{back}”)"

    if "recent_deploy" in features and (alike := versions_fail_alike(str(text))):
        features.add("versions_fail_alike")
        lines["versions_fail_alike"] = f"the old side of the change fails about as often as the new (“{alike[:160]}”)"

    if "recent_deploy" in features and (shared := services_fail_alike(str(text), service)):
        features.add("others_fail_alike")
        lines["others_fail_alike"] = f"services not deployed fail alike (“{shared[:160]}”)"

    trouble = next((m for m in _finditer(_TROUBLE, text) if not DENIED_BEFORE.search(text, max(0, m.start() - 12), m.start())
                    and not _ZERO.match(text, m.end())), None)
    if trouble:
        features.add("trouble")
        lines["trouble"] = f"failure signs (“{trouble.group(0)}”)"
    elif features & {"high_cpu", "high_memory"}:  # a resource gone wrong is trouble even without an error word
        features.add("trouble")
        lines["trouble"] = lines.get("high_cpu") or lines["high_memory"]
    return Readings(frozenset(features), _as_written(lines, original, text), memory, cpu, replicas, ratio, age)
