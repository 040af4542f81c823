"""An alert about a sidecar: the container its labels name is a proxy, log shipper or agent injected beside the
service ("KubeContainerOOMKilled … container=fluent-bit" on a fhir-facade pod), not the service's own process.

A sidecar's OOM kill or crash is no evidence that the service leaks or crashed: the kubelet restarts the sidecar on
its own, and restarting the service restarts the sidecar into the same limit. The kill and crash signatures give way
to it, so the text's other evidence decides (a recovery → benign; nothing else → a human).

A container label counts (`container=x`, `container="x"`, `container: "x"`) when every container the text labels is a
known sidecar and none of them is the service itself (a front proxy deployed as "envoy" is the service). Without
labels, the lines that report an OOM kill count when each names a known sidecar and none names the service
("fluent-bit  restartCount=1  lastState.terminated.reason=OOMKilled" beside "api  restartCount=0"). The names are the
injected containers of the common meshes, log shippers, secret agents and proxies."""

from __future__ import annotations

import re

SIDECARS = frozenset({
    # service meshes and their init containers
    "istio-proxy", "istio-init", "istio-validation", "linkerd-proxy", "linkerd-init", "envoy", "envoy-sidecar",
    "consul-dataplane", "consul-connect-envoy-sidecar", "consul-connect-inject-init", "kuma-sidecar", "daprd",
    "aws-appmesh-envoy", "osm-envoy",
    # log and telemetry shippers
    "fluent-bit", "fluentbit", "fluentd", "filebeat", "promtail", "vector", "vector-agent", "log-shipper",
    "logrotate", "datadog-agent", "otel-collector", "otel-agent", "opentelemetry-collector", "aws-otel-collector",
    "jaeger-agent", "splunk-forwarder", "newrelic-infra",
    # secrets, configuration, auth and database proxies
    "vault-agent", "vault-agent-init", "config-reloader", "prometheus-config-reloader", "configmap-reload",
    "git-sync", "oauth2-proxy", "kube-rbac-proxy", "cloud-sql-proxy", "cloudsql-proxy", "pgbouncer-sidecar",
    "secrets-store-csi", "aws-secrets-manager-agent",
})

# `container: x` unquoted is prose as often as a label ("api container: memory 410Mi flat"): only quoted
_CONTAINER_LABEL = re.compile(r"\bcontainer(?:_name)?(?:\s?=\s?\"?|\s?:\s?\")([a-z0-9][a-z0-9_.-]*)")
_NOT_A_NAME = frozenset({"", "none", "null", "n/a"})


_OOM_KILLED = re.compile(r"\boom ?killed\b")
_NAME = re.compile(r"(?<![\w-])[a-z][a-z0-9-]*[a-z0-9](?![\w-])")


def sidecar_alerted(lowered: str, service: str) -> str:
    """The sidecar the text's container labels name, when they name only sidecars and not `service` (or, with no
    container label, the sidecar every OOM-kill line names); else ""."""
    ours = service.lower()
    named = {m.group(1).rstrip(".-") for m in _CONTAINER_LABEL.finditer(lowered)} - _NOT_A_NAME
    if not named and "oom" in lowered:  # most texts name no container and no kill: skip the line scan
        named = _killed_sidecars(lowered, ours)
    if not named or not named <= SIDECARS or ours in named:
        return ""
    return min(named)


def _killed_sidecars(lowered: str, ours: str) -> set[str]:
    """The sidecars named on the lines that report an OOM kill, when every such line names one and none names
    `ours`; else an empty set."""
    found: set[str] = set()
    for line in lowered.split("\n"):
        if not _OOM_KILLED.search(line):
            continue
        names = {m.group(0) for m in _NAME.finditer(line)}
        sidecars = names & SIDECARS
        if not sidecars or (ours and ours in line):
            return set()
        found |= sidecars
    return found
