"""Markers of prompt injection in logs and analyses: text that tries to steer the platform, not describe a fault."""

from __future__ import annotations

import re

# tools that only look: a pasted diagnostic that starts with one of them is no command to fear
_READ_ONLY = (r"(ls|du|df|cat|wc|ps|grep|egrep|head|tail|stat|lsof|free|ss|netstat|top|iostat|vmstat|journalctl|dmesg|"
              r"uptime|pidstat|nproc|sort|uniq|jstack|jmap|jcmd|py-spy|pstack|gstack|eu-stack|strace|ltrace|pmap|iotop|htop|"
              r"perf|tcpdump|iftop|nethogs)\b")
# sudo's own options before the command ("sudo -u ftl jstack 1442" runs jstack as the service's user), taken whole:
# what is judged is the command after them
_SUDO_OPTIONS = r"(?>(?:(?:-u\s+\S+|-[a-zA-Z]+)\s+)*)"

_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(rx, re.IGNORECASE)) for name, rx in (
    ("instruction override", r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|all|earlier|"
                             r"your|the)\b.{0,30}\b(instructions?|rules?|polic(y|ies)|guidelines?|prompts?)\b"),
    ("role hijack", r"\b(you are now|act as|new instructions?|system prompt|developer mode|jailbreak)\b"),
    ("claimed approval", r"\b(pre-?approved|already (been )?approved|approval\s+(\w+\s+){0,3}(given|granted)|"
                         r"approved by (the )?(council|admin|security|sre|on-?call|management)|"
                         r"(skip|bypass|no need for)( the)? (approval|review|council|human))\b"),
    # backticks alone are ordinary in real logs (Rust and Go panics quote code with them): only a command inside counts;
    # on-call's pasted look at a disk or a process ("$ sudo du -sh /var/log", "kubectl exec … -- sh -c 'ls /tmp'") runs
    # a read-only tool first: telemetry, while anything else in it (an rm, a curl piped to sh) still counts
    ("shell command", r"(\brm\s+-[rf]{1,2}\b|\bcurl\b[^\n|]*\|\s*(ba)?sh\b|\bwget\b\s+\S+|\bbash\s+-c\b|"
                      rf"\bsh\s+-c\b(?!\s*['\"]\s*{_READ_ONLY})|\bchmod\s+[0-7]{{3,4}}\b|\bsudo\s+{_SUDO_OPTIONS}(?!{_READ_ONLY})\S+|\bnc\s+-[el]|"
                      # a substitution counts by what it runs: `$(pidof x)` pasted by on-call or .NET's
                      # `<Main>$(String[] args)` are ordinary; `$(cat /etc/passwd)` is not
                      r"(`|\$\()[^`)\n]*\b(rm|curl|wget|bash|sh|nc|chmod|sudo|python3?|perl|cat|echo|eval)\s[^`)\n]*[`)]|"
                      # a reload or dump signal quoted by on-call (`kill -USR1`, `kill -QUIT`) is a runbook step
                      r"(`|\$\()[^`)\n]*\bkill\s+(?!-(HUP|USR1|USR2|TTIN|TTOU|QUIT|CONT|WINCH|3|1)\b)[^`)\n]*[`)]|"
                      r"\bmkfifo\b|/etc/(passwd|shadow)|\bdd\s+if=)"),
    ("fetch a URL", r"(?-i:\b(fetch|download|visit|open|retrieve|load|pull|apply|install|run)\b)"
                    r"(?!\W{0,3}(failed|failure|error|errored|timed out|timeout)\b)[^\n\"=]{0,40}?"
                    # lower-case verbs, nothing quoted between: "GET https://…", msg="fetch rates" err=… are telemetry
                    r"https?://"),
    ("encoded payload", r"(\bbase64\s+(-d|--decode)\b|\batob\(|\beval\(|\bexec\(|(\\x[0-9a-f]{2}){6,}|"
                        r"\b(?=[A-Za-z0-9+/]*\d)(?=[A-Za-z0-9+/]*[A-Z])(?=[A-Za-z0-9+/]*[a-z])"
                        r"(?![A-Za-z0-9+]*/[A-Za-z0-9+]*/[A-Za-z0-9+]*/)"  # a file path is not a payload
                        r"[A-Za-z0-9+/]{48,}={0,2}(?![A-Za-z0-9+/]))"),
    # "please don't restart it" asks for restraint, not an action (the council holds any action against it)
    # TorchServe's own "Please use scale workers API to add workers" is telemetry, not a request
    ("requested action", r"\b(please|you must|you should|immediately)\b"
                         r"(?!\W{0,3}(do not|don.?t|never|avoid|no|nobody|no one|no-one)\b)"
                         r"(?!\W{0,3}use (the )?scale workers api)"
                         r".{0,30}\b(scale|restart|rollback|roll back|delete|drop|approve|disable)\b"),
))


def injection_markers(*texts: str) -> list[str]:
    """Names of the markers found (with the matched text), empty when the text looks like plain telemetry."""
    found = []
    for name, pattern in _MARKERS:
        for text in texts:
            match = pattern.search(text or "")
            if match:
                found.append(f"{name} ({match.group(0)[:60]!r})")
                break
    return found


_RESTRAINT = re.compile(r"\b(do not|don.?t|dont|never|no need to)\s+(\w+\s+){0,2}?(restart|bounce|reboot|kill|scale|"
                        r"roll ?back|revert|redeploy|touch|failover)\w*\b[^\n.;]{0,40}", re.IGNORECASE)


def restraint_requested(text: str) -> str:
    """A request in the incident's own text not to act ("please don't restart it mid-backup"), or ''. Not an
    injection marker: it asks for less, so an action against it waits for a human instead."""
    match = _RESTRAINT.search(text or "")
    return " ".join(match.group(0).split())[:80] if match else ""
