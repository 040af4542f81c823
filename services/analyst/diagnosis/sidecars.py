"""An alert about a sidecar: the container its labels name is a proxy, log shipper or agent injected beside the
service ("KubeContainerOOMKilled … container=fluent-bit" on a fhir-facade pod), not the service's own process.

A sidecar's OOM kill or crash is no evidence that the service leaks or crashed: the kubelet restarts the sidecar on
its own, and restarting the service restarts the sidecar into the same limit. The kill and crash signatures give way
to it, so the text's other evidence decides (a recovery → benign; nothing else → a human).

Only a container label counts (`container=x`, `container="x"`, `container: x`), and only when every container the
text labels is a known sidecar and none of them is the service itself (a front proxy deployed as "envoy" is the
service). The names are the injected containers of the common meshes, log shippers, secret agents and proxies."""

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

_CONTAINER_LABEL = re.compile(r"\bcontainer(?:_name)?\s?[=:]\s?\"?([a-z0-9][a-z0-9_.-]*)")
_NOT_A_NAME = frozenset({"", "none", "null", "n/a"})


def sidecar_alerted(lowered: str, service: str) -> str:
    """The sidecar the text's container labels name, when they name only sidecars and not `service`; else ""."""
    named = {m.group(1).rstrip(".-") for m in _CONTAINER_LABEL.finditer(lowered)} - _NOT_A_NAME
    ours = service.lower()
    if not named or not named <= SIDECARS or ours in named:
        return ""
    return min(named)
