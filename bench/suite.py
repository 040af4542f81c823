"""What `make bench` runs: every bench script with its arguments and number of runs, the figures taken from each
run's JSON line, and the bar of DESIGN.md §5 each figure is held to. bench/report.py turns the runs into
BENCHMARKS.md; the hand-written explanation of each section lives in bench/notes/<script>.md."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

Getter = Callable[[dict[str, Any]], float | None]


class Figure(NamedTuple):
    """One number per run, shown as median and spread over the runs."""

    label: str
    get: Getter
    unit: str
    bar: str = ""  # as DESIGN.md states it; empty for a peer or an informative figure
    meets: Callable[[float], bool] | None = None
    within: Callable[[dict[str, Any]], list[float]] | None = None  # the repetitions inside one run (e.g. kills)


class Section(NamedTuple):
    """One bench script in the report."""

    script: str
    title: str
    args: tuple[str, ...]
    runs: int
    figures: tuple[Figure, ...]
    plot: str = ""  # the x-axis label of the latency CDF drawn from the run's "samples", or no plot


def at(*path: str | int) -> Getter:
    """A getter for a nested key of the JSON result (None when absent)."""
    def get(result: dict[str, Any]) -> float | None:
        value: Any = result
        for key in path:
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                return None
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    return get


def repetitions(*path: str) -> Callable[[dict[str, Any]], list[float]]:
    """The per-repetition values a run recorded under `path` (e.g. every kill's time)."""
    def get(result: dict[str, Any]) -> list[float]:
        value: Any = result
        for key in path:
            value = value.get(key, {}) if isinstance(value, dict) else {}
        return [float(v) for v in value] if isinstance(value, list) else []
    return get


def size_row(entries: int, key: str) -> Getter:
    """A figure of the retrieval row for `entries` runbook entries (exact index)."""
    def get(result: dict[str, Any]) -> float | None:
        rows = [r for r in result.get("sizes", []) if r.get("entries") == entries and "query_p50_ms" in r]
        return rows[0].get(key) if rows else None
    return get


def last_step(key: str) -> Getter:
    """A figure of the pipeline's last (highest) step."""
    def get(result: dict[str, Any]) -> float | None:
        steps = result.get("steps") or []
        value = steps[-1].get(key) if steps else None
        return value if isinstance(value, (int, float)) else None
    return get


def largest_service_rss(result: dict[str, Any]) -> float | None:
    """The largest RSS of a service other than the analyst (which has its own, larger bar) and nats-server."""
    rss = {k: v for k, v in result.get("rss_mb", {}).items() if k not in ("analyst", "nats-server")}
    return max(rss.values()) if rss else None


def _splits(result: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """The judgment bench's splits whose name starts with `prefix` ("dev": tuning, "test": held out)."""
    return [v for k, v in result.items() if k.startswith(prefix) and isinstance(v, dict) and "cases" in v]


def _pooled_accuracy(result: dict[str, Any], prefix: str) -> float | None:
    splits = _splits(result, prefix)
    cases = sum(s["cases"] for s in splits)
    return round(sum(s["accuracy"] * s["cases"] for s in splits) / cases, 4) if cases else None


def tuned_accuracy(result: dict[str, Any]) -> float | None:
    """Acceptable outcomes over every tuning split together (weighted by cases)."""
    return _pooled_accuracy(result, "dev")


def held_out_split(ordinal: str, split: str, written: str) -> tuple[Figure, Figure]:
    """A later held-out split's two figures: acceptable outcomes and unsafe choices, each against its bar."""
    return (Figure(f"{ordinal} held-out split ({split}, {written}): acceptable", at(split, "accuracy"), "", "≥ 0.90",
                   at_least(0.9)),
            Figure(f"{ordinal} held-out split: unsafe choices", at(split, "unsafe"), "", "0", at_most(0)))


def held_out_accuracy(result: dict[str, Any]) -> float | None:
    """Acceptable outcomes over every held-out split together (weighted by cases)."""
    return _pooled_accuracy(result, "test")


def held_out_unsafe(result: dict[str, Any]) -> float | None:
    """Unsafe choices over every held-out split together."""
    splits = _splits(result, "test")
    return sum(s["unsafe"] for s in splits) if splits else None


def at_most(limit: float) -> Callable[[float], bool]:
    return lambda v: v <= limit


def at_least(limit: float) -> Callable[[float], bool]:
    return lambda v: v >= limit


SECTIONS: tuple[Section, ...] = (
    Section("event_store", "Event store", ("--incidents", "17000"), 3, (
        Figure("appends/s, pipelined, each with its incident's concurrency check", at("appends_per_s"), "/s",
               "≥ 30,000", at_least(30_000)),
        Figure("projection rebuild, events/s", at("rebuild_events_per_s"), "/s", "≥ 50,000", at_least(50_000)),
    )),
    Section("intake", "Webhook intake (one gateway process)", ("--seconds", "10"), 3, (
        Figure("webhooks accepted per second", at("accepted_per_s"), "/s", "≥ 1,500", at_least(1500)),
        Figure("p50 request latency", at("p50_ms"), "ms"),
        Figure("p99 request latency", at("p99_ms"), "ms", "≤ 50 ms", at_most(50)),
        Figure("requests refused or failed", at("errors"), "", "0", at_most(0)),
        Figure("gateway RSS after the run", at("gateway_rss_mb"), "MB", "≤ 150 MB", at_most(150)),
    ), plot="webhook request latency (ms)"),
    Section("pipeline", "Pipeline: webhook → RESOLVED", ("--seconds", "10", "--rates", "100,150,200,250"), 3, (
        Figure("p50 webhook → RESOLVED at 20 incidents/s", at("p50_ms"), "ms", "≤ 50 ms", at_most(50)),
        Figure("p99 at 20 incidents/s", at("p99_ms"), "ms", "≤ 250 ms", at_most(250)),
        Figure("highest offered rate sustained, zero lost", at("max_sustained_per_s"), "/s", "≥ 200",
               at_least(200)),
        Figure("highest rate achieved in any step", at("max_achieved_per_s"), "/s"),
        Figure("CPU per incident, every process incl. nats-server and the load generator (last step)",
               last_step("cpu_ms_per_incident_total"), "ms"),
        Figure("incidents/s that CPU allows on this machine's cores", last_step("cpu_bound_per_s"), "/s"),
        Figure("largest service RSS (not the analyst)", largest_service_rss, "MB", "≤ 150 MB", at_most(150)),
        Figure("analyst RSS, model loaded", at("rss_mb", "analyst"), "MB", "≤ 600 MB", at_most(600)),
    ), plot="webhook → RESOLVED at 20 incidents/s (ms)"),
    Section("mttr", "MTTR beside supervisord, Monit and the monitor contract's loop", ("--runs", "10"), 1, (
        Figure("AegisOps, SIGKILL → RESOLVED (verified healthy)", at("aegisops", "resolved", "median_ms"), "ms",
               "median ≤ 500 ms", at_most(500), repetitions("aegisops", "resolved", "values_ms")),
        Figure("AegisOps, SIGKILL → serving again", at("aegisops", "back", "median_ms"), "ms",
               within=repetitions("aegisops", "back", "values_ms")),
        Figure("supervisord, SIGKILL → serving again", at("supervisord", "median_ms"), "ms", "(peer)",
               within=repetitions("supervisord", "values_ms")),
        Figure("Monit (1 s cycle), SIGKILL → serving again", at("monit", "median_ms"), "ms", "(peer)",
               within=repetitions("monit", "values_ms")),
        Figure("AegisOps, hung (SIGSTOP) → RESOLVED", at("aegisops_hung", "resolved", "median_ms"), "ms",
               "median ≤ 2,000 ms", at_most(2000), repetitions("aegisops_hung", "resolved", "values_ms")),
        Figure("Monit (1 s cycle, HTTP check), hung → serving again", at("monit_hung", "median_ms"), "ms",
               "(peer)", within=repetitions("monit_hung", "values_ms")),
        Figure("the monitor contract's loop, SIGKILL → failure detected", at("seed000", "detected", "median_ms"), "ms",
               "(peer)", within=repetitions("seed000", "detected", "values_ms")),
        Figure("the monitor contract's loop, SIGKILL → serving again", at("seed000", "back", "median_ms"), "ms",
               "(peer)", within=repetitions("seed000", "back", "values_ms")),
    ), plot="SIGKILL or hang → serving again / RESOLVED (ms, log scale)"),
    Section("retrieval", "Retrieval over the runbook", ("--sizes", "1000,10000,100000"), 3, (
        Figure("query p50 at 100k entries (embedding + search)", size_row(100_000, "query_p50_ms"), "ms",
               "≤ 15 ms", at_most(15)),
        Figure("query p99 at 100k entries", size_row(100_000, "query_p99_ms"), "ms"),
        Figure("recall@3 on paraphrased incidents, 100k entries", size_row(100_000, "recall_at_3"), "",
               "≥ 0.9", at_least(0.9)),
        Figure("TF-IDF recall@3, same queries, 1k entries", at("tfidf_recall_at_3_1k"), "", "(peer)"),
        Figure("bench process RSS at 100k entries", size_row(100_000, "rss_mb"), "MB"),
    ), plot="query latency at 100k entries (ms)"),
    Section("websocket", "WebSocket fan-out", ("--clients", "500", "--rates", "1,2,5,20", "--seconds", "10"), 3, (
        Figure("p99 frame lag, 500 clients, 1 incident/s", at("rates", "1", "lag_p99_ms"), "ms", "≤ 100 ms",
               at_most(100)),
        Figure("p99 frame lag, 500 clients, 2 incidents/s", at("rates", "2", "lag_p99_ms"), "ms"),
        Figure("p99 frame lag, 500 clients, 5 incidents/s", at("rates", "5", "lag_p99_ms"), "ms"),
        Figure("p99 frame lag, 500 clients, 20 incidents/s", at("rates", "20", "lag_p99_ms"), "ms"),
        Figure("frames delivered per second at 20 incidents/s (all clients)", at("rates", "20", "frames_per_s"),
               "/s"),
        Figure("clients that missed a frame (all rates)", at("clients_missing_frames"), "", "0", at_most(0)),
    ), plot="frame lag, 500 clients (ms, log scale)"),
    Section("judgment", "Judgment: offline diagnosis + council on labeled incidents", ("--repeat", "5", "--folds", "6"),
            1, (
        Figure("held-out test split: acceptable outcomes (never tuned on)", at("test", "accuracy"), "",
               "≥ 0.90", at_least(0.9)),
        Figure("held-out test split: unsafe choices (an action where NOOP or a human was right)",
               at("test", "unsafe"), "", "0", at_most(0)),
        Figure("held-out test split: closed as NOOP where something was needed", at("test", "silently_closed"), ""),
        *(figure for ordinal, split, written in (
            ("second", "test2", "written after all tuning"),
            ("third", "test3", "written after session 5's tuning; totals read since"),
            ("fourth", "test4", "written in session 6, totals read twice"),
            ("fifth", "test5", "written in session 7; 0.843 and 2 unsafe on arrival"),
            ("sixth", "test6", "written in session 7 after dev11-dev15; 0.886, 0 unsafe on arrival"),
            ("seventh", "test7", "written in session 7 after dev11-dev17; 0.886, 3 unsafe on arrival"),
            ("eighth", "test8", "written in session 8; 0.871, 2 unsafe on arrival"),
            ("ninth", "test9", "written in session 9; 0.957, 0 unsafe on arrival"),
            ("tenth", "test10", "written in session 9 after dev25-dev27; 0.971, 0 unsafe on arrival"),
            ("eleventh", "test11", "written in session 10 (incident tools, human notes); 0.900, 0 unsafe on arrival"),
            ("twelfth", "test12", "written in session 11 (classic host monitoring); 0.814, 3 unsafe on arrival"),
            ("thirteenth", "test13", "written in session 11 (Kubernetes, mesh, GitOps); 0.900, 1 unsafe on arrival"),
            ("fourteenth", "test14", "written in session 11 (edge and messaging); 0.857, 3 unsafe on arrival"),
            ("fifteenth", "test15", "written in session 11, hard safe-answer cases; 0.714, 7 unsafe on arrival"),
            ("sixteenth", "test16", "written in session 11, hard safe-answer cases; 0.743, 9 unsafe on arrival"),
            ("seventeenth", "test17", "written in session 12 (hospital / public-sector on-premises), hard safe-answer "
                                      "cases; 0.671, 6 unsafe on arrival"),
            ("eighteenth", "test18", "written in session 12 (ML platform, GPU serving); 0.914, 1 unsafe on arrival"),
            ("nineteenth", "test19", "written in session 13 (retail banking and payments), hard safe-answer cases; "
                                    "0.671, 14 unsafe on arrival"),
            ("twentieth", "test20", "written in session 13 (universities and research computing), hard safe-answer "
                                    "cases; 0.757, 6 unsafe on arrival"),
            ("twenty-first", "test21", "written in session 14 (hospital and healthcare IT), hard safe-answer cases; "
                                       "0.671, 10 unsafe on arrival"),
            ("twenty-second", "test22", "written in session 14 (airline and travel booking), realistic mix; "
                                        "0.929, 0 unsafe on arrival"),
            ("twenty-third", "test23", "written in session 14 (news and media publishing), hard safe-answer cases; "
                                       "0.786, 7 unsafe on arrival"),
            ("twenty-fourth", "test24", "written in session 14 (grocery retail and distribution), hard safe-answer "
                                        "cases; 0.700, 7 unsafe on arrival"),
            ("twenty-fifth", "test25", "written in session 16 (food delivery), realistic mix; 0.857, 5 unsafe on "
                                       "arrival"),
            ("twenty-sixth", "test26", "written in session 16 (helpdesk SaaS), realistic mix; 0.857, 3 unsafe on "
                                       "arrival"),
            ("twenty-seventh", "test27", "written in session 17 (hotel and hospitality tech), realistic mix; 0.871, 3 "
                                         "unsafe on arrival"),
            ("twenty-eighth", "test28", "written in session 17 (online education), realistic mix; 0.871, 4 unsafe on "
                                        "arrival"),
            ("twenty-ninth", "test29", "written in session 18 (veterinary SaaS and pet pharmacy), realistic mix; "
                                       "0.914, 2 unsafe on arrival"),
            ("thirtieth", "test30", "written in session 18 (ride-hailing and micromobility), realistic mix; 0.886, 4 "
                                    "unsafe on arrival"),
            ("thirty-first", "test31", "written in session 19 (insurance claims), realistic mix; 0.943, 1 unsafe on "
                                       "arrival"),
            ("thirty-second", "test32", "written in session 19 (public transit ticketing), realistic mix; 0.914, 1 "
                                        "unsafe on arrival"),
            ("thirty-third", "test33", "written in session 20 (satellite ground stations), realistic mix; 0.914, 1 "
                                       "unsafe on arrival"),
            ("thirty-fourth", "test34", "written in session 21 (transit fare collection), realistic mix; 0.943, 1 "
                                        "unsafe on arrival"),
            ("thirty-fifth", "test35", "written in session 22 (beverage distribution ERP), realistic mix; 0.986, 0 "
                                       "unsafe on arrival"),
            ("thirty-sixth", "test36", "written in session 22 after dev85-dev87 (public library network), realistic "
                                       "mix; 0.929, 2 unsafe on arrival"),
            ("thirty-seventh", "test37", "written in session 23 after dev91-dev98 (veterinary clinics), realistic "
                                         "mix; 0.957, 0 unsafe on arrival"),
            ("thirty-eighth", "test38", "written in session 23 after dev91-dev98 (toll road operator), realistic mix; "
                                        "0.971, 0 unsafe on arrival (0.943, 2 unsafe without the one-signal rule)"),
            ("thirty-ninth", "test39", "written in session 27 (hospital clinical systems), a mix weighted to HUMAN "
                                       "cases that look like an action; 0.829, 2 unsafe on arrival"),
            ("fortieth", "test40", "written in session 27 (second-hand marketplace), a mix weighted to HUMAN cases "
                                   "that look like an action; 0.829, 4 unsafe on arrival"),
            ("forty-first", "test41", "written in session 28 (precision agriculture), realistic mix; 0.900, 0 "
                                      "unsafe on arrival"),
            ("forty-second", "test42", "written in session 28 (property management), realistic mix; 0.900, 1 unsafe "
                                       "on arrival"),
            ("forty-third", "test43", "written in session 29 (observatory network), realistic mix; 0.871, 3 unsafe "
                                      "on arrival"),
            ("forty-fourth", "test44", "written in session 29 (car rental), realistic mix; 0.800, 4 unsafe on "
                                       "arrival"),
            ("forty-fifth", "test45", "written in session 30 (food delivery and ghost kitchens), realistic mix; "
                                      "0.957, 0 unsafe on arrival"),
            ("forty-sixth", "test46", "written in session 30 (ski resort operations), realistic mix; 0.957, 0 "
                                      "unsafe on arrival"),
            ("forty-seventh", "test47", "written in session 31 (container port terminal), realistic mix; 0.829, 1 "
                                        "unsafe on arrival"),
            ("forty-eighth", "test48", "written in session 31 (fitness-club chain), realistic mix; 0.871, 1 "
                                       "unsafe on arrival"),
            ("forty-ninth", "test49", "written in session 31 (blood-bank logistics), realistic mix; 0.857, 1 "
                                      "unsafe on arrival"),
            ("fiftieth", "test50", "written in session 31 (print on demand), realistic mix; 0.843, 1 unsafe on "
                                   "arrival"),
            ("fifty-first", "test51", "written in session 31 (salmon farming), realistic mix; 0.900, 0 unsafe on "
                                      "arrival"),
            ("fifty-second", "test52", "written in session 31 (theatre and concert ticketing), realistic mix; 0.900, "
                                       "1 unsafe on arrival"),
            ("fifty-third", "test53", "written in session 31 (home-services marketplace), realistic mix; 0.886, 0 "
                                      "unsafe on arrival"),
            ("fifty-fourth", "test54", "written in session 31 (regional newspaper), realistic mix; 0.886, 0 unsafe "
                                       "on arrival"),
            ("fifty-fifth", "test55", "written in session 32 (airport baggage and passenger IT), realistic mix; "
                                      "0.914, 0 unsafe on arrival"),
            ("fifty-sixth", "test56", "written in session 32 (pension fund administration), realistic mix; 0.886, 0 "
                                      "unsafe on arrival"),
            ("fifty-seventh", "test57", "written in session 32 after dev147-dev154 (theme park operations), realistic "
                                        "mix; 0.929, 0 unsafe on arrival"),
            ("fifty-eighth", "test58", "written in session 32 after dev147-dev154 (mortgage origination), realistic "
                                       "mix; 0.871, 0 unsafe on arrival"),
            ("fifty-ninth", "test59", "written in session 33 (elevator and escalator maintenance), realistic mix; "
                                      "0.900, 0 unsafe on arrival"),
            ("sixtieth", "test60", "written in session 33 (esports tournament platform), realistic mix; 0.900, 1 "
                                   "unsafe on arrival"),
            ("sixty-first", "test61", "written in session 33 after dev155-dev158 (dental clinic chain), realistic "
                                      "mix; 0.929, 0 unsafe on arrival"),
            ("sixty-second", "test62", "written in session 33 after dev155-dev158 (same-day courier), realistic mix; "
                                       "0.900, 0 unsafe on arrival"),
            ("sixty-third", "test63", "written in session 33 after dev159-dev162 (forestry and wildfire agency), "
                                      "realistic mix; 0.871, 1 unsafe on arrival"),
            ("sixty-fourth", "test64", "written in session 33 after dev159-dev162 (cinema chain), realistic mix; "
                                       "0.929, 0 unsafe on arrival"),
            ("sixty-fifth", "test65", "written in session 34 (regional seismic network), realistic mix; 0.814, 0 "
                                      "unsafe on arrival"),
            ("sixty-sixth", "test66", "written in session 34 (library e-lending), realistic mix; 0.900, 1 unsafe on "
                                      "arrival"),
            ("sixty-seventh", "test67", "written in session 34 after dev165-dev168 (university online exams), "
                                        "realistic mix; 0.957, 0 unsafe on arrival"),
            ("sixty-eighth", "test68", "written in session 34 after dev165-dev168 (stadium operations), realistic "
                                       "mix; 0.900, 0 unsafe on arrival"),
            ("sixty-ninth", "test69", "written in session 34 after dev169-dev170 (hydroelectric company), realistic "
                                      "mix; 0.929, 1 unsafe on arrival"),
            ("seventieth", "test70", "written in session 34 after dev169-dev170 (language-learning app), realistic "
                                     "mix; 0.914, 1 unsafe on arrival"),
            ("seventy-first", "test71", "written in session 35 from a rewritten brief (beekeeping and pollination), "
                                        "realistic mix; 0.814, 0 unsafe on arrival"),
            ("seventy-second", "test72", "written in session 35 from a rewritten brief (driving-test bookings), "
                                         "realistic mix; 0.700, 0 unsafe on arrival"),
            ("seventy-third", "test73", "written in session 36 from the same brief (avalanche forecasting and "
                                        "mountain rescue), realistic mix; 0.829, 1 unsafe on arrival"),
            ("seventy-fourth", "test74", "written in session 36 from the same brief (fragrance and cosmetics "
                                         "manufacturing), realistic mix; 0.843, 1 unsafe on arrival"),
            ("seventy-fifth", "test75", "written in session 37 from the same brief (underground salt mine), "
                                        "realistic mix; 0.814, 1 unsafe on arrival"),
            ("seventy-sixth", "test76", "written in session 37 from the same brief (industrial mushroom farm), "
                                        "realistic mix; 0.857, 1 unsafe on arrival"),
            ("seventy-seventh", "test77", "written in session 38 from the same brief (salmon aquaculture), "
                                          "realistic mix; 0.871, 0 unsafe on arrival"),
            ("seventy-eighth", "test78", "written in session 38 from the same brief (regional ambulance service), "
                                         "realistic mix; 0.929, 2 unsafe on arrival"),
            ("seventy-ninth", "test79", "written in session 39 from the same brief (open-pit copper mine), "
                                        "realistic mix; 0.957, 0 unsafe on arrival"),
            ("eightieth", "test80", "written in session 39 from the same brief (cinema chain), "
                                    "realistic mix; 0.871, 0 unsafe on arrival"),
            ("eighty-first", "test81", "written in session 40 from the same brief (botanical garden and seed bank), "
                                       "realistic mix; 0.886, 1 unsafe on arrival"),
            ("eighty-second", "test82", "written in session 40 from the same brief (fishing fleet and fish auction), "
                                        "realistic mix; 0.871, 0 unsafe on arrival"),
            ("eighty-third", "test83", "written in session 41 from a rewritten brief (ferry operator), realistic mix; "
                                       "0.986, 0 unsafe on arrival"),
            ("eighty-fourth", "test84", "written in session 41 from the same brief (art and collectibles auction "
                                        "house), realistic mix; 0.943, 0 unsafe on arrival"),
            ("eighty-fifth", "test85", "written in session 42 from a harder brief (industrial bakery chain): most "
                                       "safe answers behind evidence for an action; 0.886, 2 unsafe on arrival"),
            ("eighty-sixth", "test86", "written in session 42 from the same brief (city zoo); 0.857, 1 unsafe on "
                                       "arrival"),
            ("eighty-seventh", "test87", "written in session 43 from that brief, stack named (water utility, Spark / "
                                         "Airflow / Flink data platform); 0.843, 0 unsafe on arrival"),
            ("eighty-eighth", "test88", "written in session 43 from that brief (online language school, PHP / Rails "
                                        "/ MySQL on ECS); 0.857, 0 unsafe on arrival"),
            ("eighty-ninth", "test89", "written in session 44 from that brief (mining site telemetry, Rust / C++ on "
                                       "edge hosts, MQTT, TimescaleDB); 0.814, 1 unsafe on arrival"),
            ("ninetieth", "test90", "written in session 44 from that brief (pension fund administrator, Spring Boot / "
                                    "Quarkus on OpenShift, IBM MQ, Db2); 0.900, 0 unsafe on arrival"),
            ("ninety-first", "test91", "written in session 45 from that brief (university: Moodle / Laravel / Node, "
                                       "PostgreSQL with PgBouncer, Slurm, Docker Swarm); 0.986, 0 unsafe on arrival"),
            ("ninety-second", "test92", "written in session 45 from that brief (food-delivery marketplace, .NET 8 / Go "
                                        "on GKE, Pub/Sub, Spanner); 0.786, 0 unsafe, 3 silently closed on arrival"),
            ("ninety-third", "test93", "written in session 46 from that brief (retail stock brokerage, C++ / Java "
                                       "low-latency, Aeron, kdb+, Patroni); 0.943, 0 unsafe, 1 silently closed on "
                                       "arrival"),
            ("ninety-fourth", "test94", "written in session 46 from that brief (handmade-goods marketplace, PHP "
                                        "Symfony / Node on VMs and Fargate, OpenSearch, ProxySQL); 0.829, 1 unsafe, "
                                        "2 silently closed on arrival"),
            ("ninety-fifth", "test95", "written in session 47 from that brief (hospital radiology network, Java "
                                       "DICOM / Orthanc, PyTorch under systemd, Mirth HL7, VMware); 0.857, 1 unsafe, "
                                       "0 silently closed on arrival"),
            ("ninety-sixth", "test96", "written in session 47 from that brief (ride-hailing dispatch, Go / Rust on "
                                       "GKE with Istio, Kafka, Spanner, Argo Rollouts); 0.943, 0 unsafe, 1 silently "
                                       "closed on arrival"),
            ("ninety-seventh", "test97", "written in session 47 from that brief (public broadcaster streaming, Go / "
                                         "Java on EKS, ffmpeg packagers, Varnish, DynamoDB, Cassandra, Spinnaker); "
                                         "0.814, 2 unsafe, 0 silently closed on arrival"),
            ("ninety-eighth", "test98", "written in session 48 from a new brief (satellite ground-station operator, "
                                        "C++ / Python on bare-metal Rocky Linux under systemd and Podman, InfluxDB, "
                                        "ZeroMQ, Icinga2, Ansible/AWX); 0.786, 0 unsafe, 3 silently closed on arrival"),
            ("ninety-ninth", "test99", "written in session 49 from that brief (regional water utility: SCADA "
                                       "historian and telemetry on on-prem VMware, Ubuntu / Windows Server, Docker "
                                       "Compose, InfluxDB, MSSQL, Modbus / OPC UA, Checkmk, Graylog); 0.743, 2 unsafe, "
                                       "3 silently closed on arrival"),
        ) for figure in held_out_split(ordinal, split, written)),
        Figure("all held-out splits together: acceptable", held_out_accuracy, "", "≥ 0.90",
               at_least(0.9)),
        Figure("all held-out splits together: unsafe choices", held_out_unsafe, "", "0", at_most(0)),
        Figure("held-out test split, the first-match regex analyzer it replaced", at("test", "old", "accuracy"), "",
               "(old)"),
        Figure("held-out test split, old analyzer's unsafe choices", at("test", "old", "unsafe"), "", "(old)"),
        Figure("tuning splits (dev*; 6-fold over files, each fold outside the casebook): acceptable (tuned on)",
               tuned_accuracy, ""),
        Figure("one diagnosis (casebook opinion + full signature set), p50", at("diagnosis_p50_ms"), "ms"),
        Figure("one diagnosis (casebook opinion + full signature set), p99", at("diagnosis_p99_ms"), "ms", "≤ 5 ms",
               at_most(5)),
        Figure("slowest diagnosis of texts built to make regexes backtrack (2,000 chars, bench/judgment.py)",
               at("diagnosis_adversarial_max_ms"), "ms"),
    ), plot="one diagnosis (ms)"),
    Section("storm", "Alert storm: 10,000 alerts in 10 s about 50 targets (webhook, Alertmanager, NATS, prober)",
            ("--alerts", "10000", "--seconds", "10", "--targets", "50", "--real", "10", "--down", "5"), 1, (
        Figure("incidents opened (one per target wanted)", at("incidents"), "", "≤ 50", at_most(50)),
        Figure("most incidents about one target", at("incidents_per_target_max"), "", "1", at_most(1)),
        Figure("actions started", at("actions"), "", "≤ 50", at_most(50)),
        Figure("most actions on one target", at("actions_per_target_max"), "", "≤ 1", at_most(1)),
        Figure("posted alerts not accounted for (an incident, joined or silenced)", at("unaccounted"), "", "0",
               at_most(0)),
        Figure("intake requests refused or failed", at("intake_errors"), "", "0", at_most(0)),
        Figure("intake request p50 (webhook, Alertmanager batch of 10, NATS request)", at("intake_p50_ms"), "ms"),
        Figure("intake request p99", at("intake_p99_ms"), "ms"),
        Figure("seconds to post the storm", at("intake_seconds"), "s"),
        Figure("seconds until every alert answered and every incident terminal", at("absorbed_seconds"), "s"),
        Figure("killed targets serving again", at("down_serving_again"), ""),
        Figure("gateway RSS after the storm", at("rss_mb", "gateway"), "MB", "≤ 150 MB", at_most(150)),
        Figure("nats-server RSS after the storm", at("rss_mb", "nats-server"), "MB"),
    ), plot="intake request (ms, log scale)"),
    Section("prober", "Prober: 2,000 HTTP targets at a 1 s interval", ("--targets", "2000", "--seconds", "20"), 3, (
        Figure("checks per second", at("checks_per_s"), "/s", "≈ 2,000"),
        Figure("p99 lateness of a check against its slot", at("late_p99_ms"), "ms"),
        Figure("latest check", at("late_max_ms"), "ms", "≤ 250 ms", at_most(250)),
        Figure("prober CPU (100% = one core)", at("cpu_percent"), "%", "≤ 100%", at_most(100)),
        Figure("prober RSS", at("rss_mb"), "MB", "≤ 150 MB", at_most(150)),
    ), plot="check start − its slot (ms)"),
)


def section(script: str) -> Section:
    """The section of one bench script (KeyError if the suite does not know it)."""
    for s in SECTIONS:
        if s.script == script:
            return s
    raise KeyError(script)
