// The AegisOps cockpit: one page over the gateway's REST API and /ws (the Core API contract's frames).
// No framework and no build step. Everything from the server is rendered with textContent, never as HTML.

const KEY_STORAGE = "aegis.apiKey";
const ROLES = ["viewer", "operator", "approver", "admin"];
const PAGE = 1000; // incidents per /incidents request
const HISTORY = 40; // metric points kept per target (two minutes at 3 s)
const COLORS = ["#58a6ff", "#3fb950", "#d29922", "#f85149", "#a371f7", "#39c5cf", "#ff7b72", "#e3b341"];

const state = {
  key: localStorage.getItem(KEY_STORAGE) || "",
  me: null,
  incidents: new Map(), // incident_id -> the Core API contract's IncidentResult
  rows: new Map(), // incident_id -> row element
  selected: null,
  aiText: new Map(), // incident_id -> streamed text so far
  approvals: new Map(), // incident_id -> {reason, required_role, expires_at}
  drafts: [],
  metrics: new Map(), // target -> [{cpu, mem}]
  ws: null,
  retry: 0,
  snapshotPending: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function can(role) {
  return state.me != null && ROLES.indexOf(state.me.role) >= ROLES.indexOf(role);
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), 4000);
}

// ---- REST ------------------------------------------------------------------------------------
async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { "X-API-Key": state.key, "Content-Type": "application/json", ...(options.headers || {}) },
  });
  if (response.status === 401) {
    signOut("Your key was refused (revoked or mistyped). Sign in again.");
    throw new Error("unauthorized");
  }
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) throw new Error(body?.detail ? String(body.detail) : `HTTP ${response.status}`);
  return body;
}

// ---- sign in ---------------------------------------------------------------------------------
async function signIn(key) {
  state.key = key;
  try {
    state.me = await api("/auth/me");
  } catch (error) {
    $("sign-in-error").textContent = error.message === "unauthorized" ? "That key was refused." : error.message;
    return false;
  }
  localStorage.setItem(KEY_STORAGE, key);
  $("sign-in").hidden = true;
  $("cockpit").hidden = false;
  $("sign-out").hidden = false;
  $("who").textContent = `${state.me.name} · ${state.me.role}`;
  document.body.dataset.role = state.me.role;
  await snapshot();
  connect();
  return true;
}

function signOut(message = "") {
  localStorage.removeItem(KEY_STORAGE);
  state.key = "";
  state.me = null;
  if (state.ws) {
    state.ws.onclose = null;
    state.ws.close();
    state.ws = null;
  }
  $("cockpit").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  $("who").textContent = "";
  $("sign-in-error").textContent = message;
  setConnection("offline");
}

// ---- snapshot (on sign-in and after every reconnect: frames missed while away are caught up) -----
async function snapshot() {
  if (state.snapshotPending) return state.snapshotPending;
  state.snapshotPending = (async () => {
    const incidents = [];
    for (let offset = 0; ; offset += PAGE) {  // newest first, a page at a time; upserted oldest first below
      const page = await api(`/incidents?limit=${PAGE}&offset=${offset}`);
      incidents.push(...page);
      if (page.length < PAGE) break;
    }
    incidents.reverse();
    for (const incident of incidents) upsertIncident(incident);
    state.approvals.clear();
    for (const incident of incidents) {
      if (incident.status === "AWAITING_APPROVAL") {
        const held = incident.timeline.filter((e) => e.status === "AWAITING_APPROVAL").pop();
        state.approvals.set(incident.incident_id, { reason: held ? held.message : "", required_role: null });
      }
    }
    renderApprovals();
    await Promise.allSettled([refreshDrafts(), refreshTopology(), refreshSystem(), refreshSilences(), refreshJudgment(),
      api("/metrics").then((samples) => state.metrics.size || onMetrics(samples || []))]);
    if (state.selected) await selectIncident(state.selected);
  })();
  try {
    await state.snapshotPending;
  } finally {
    state.snapshotPending = null;
  }
}

// ---- incidents list --------------------------------------------------------------------------
function rowFor(incident) {
  const status = el("span", { class: `status status-${incident.status}`, text: incident.status });
  const row = el("div", { class: "incident", role: "listitem", "data-id": incident.incident_id },
    el("span", { class: "iid", text: incident.incident_id }), status,
    el("span", { class: "meta", text: "" }));
  row.addEventListener("click", () => selectIncident(incident.incident_id));
  return row;
}

// The three outcomes stay visibly distinct: a fix, a benign close (nothing run), and a case that needs a human.
function outcomeLabel(incident) {
  if (incident.status === "FAILED") return incident.outcome === "human" ? "NEEDS HUMAN" : "FAILED";
  if (incident.status === "RESOLVED" && incident.outcome === "benign") return "BENIGN";
  if (incident.status === "RESOLVED" && incident.outcome === "recovered") return "RECOVERED";
  return incident.status;
}

function fillRow(row, incident) {
  const status = row.children[1];
  const label = outcomeLabel(incident);
  status.textContent = label;
  status.className = `status status-${label.replace(" ", "_")}`;
  const target = incident.target || incident.container_name || "";
  row.children[2].textContent = `${incident.alert_type}${target ? " · " + target : ""}`;
  row.dataset.status = incident.status;
  row.dataset.search = `${incident.incident_id} ${incident.alert_type} ${target} ${incident.status}`.toLowerCase();
  row.hidden = !matchesFilter(row);
}

function upsertIncident(incident) {
  const id = incident.incident_id;
  const known = state.incidents.get(id);
  // a fetched record may lag the live frames (the read model catches up a moment later): a field it has not got
  // yet (null) never erases what a frame already brought, such as the analysis
  const fresh = Object.fromEntries(Object.entries(incident).filter(([, value]) => value != null));
  state.incidents.set(id, { ...(known || {}), ...fresh });
  let row = state.rows.get(id);
  if (!row) {
    row = rowFor(incident);
    state.rows.set(id, row);
    $("incident-list").prepend(row); // newest first
    $("incident-count").textContent = state.rows.size;
  }
  fillRow(row, state.incidents.get(id));
}

function matchesFilter(row) {
  const text = $("filter").value.trim().toLowerCase();
  return !text || row.dataset.search.includes(text);
}

function applyFilter() {
  for (const row of state.rows.values()) row.hidden = !matchesFilter(row);
}

// ---- one incident ----------------------------------------------------------------------------
async function selectIncident(id) {
  state.selected = id;
  for (const row of document.querySelectorAll(".incident.selected")) row.classList.remove("selected");
  state.rows.get(id)?.classList.add("selected");
  try {
    upsertIncident(await api(`/incidents/${encodeURIComponent(id)}`));
  } catch (error) {
    toast(error.message);
  }
  renderDetail();
}

function renderDetail() {
  const incident = state.incidents.get(state.selected);
  if (!incident) return;
  if ($("detail-title").textContent !== incident.incident_id) hideReport();
  $("detail-title").textContent = incident.incident_id;
  $("report-button").hidden = false;
  const joined = incident.correlated?.count
    ? ` · ${incident.correlated.count} more alert(s) joined (` +
      Object.entries(incident.correlated.sources || {}).map(([s, n]) => `${n} ${s}`).join(", ") + ")"
    : (incident.joined ? ` · joined ${incident.joined}` : "");
  $("detail-summary").textContent = `${incident.alert_type} · ${outcomeLabel(incident)}${joined}` +
    (incident.error ? ` · ${incident.error}` : "") + (incident.resolved_at ? ` · resolved ${incident.resolved_at}` : "");
  const analysis = incident.analysis;
  const streamed = state.aiText.get(incident.incident_id);
  $("ai-stream").textContent = analysis
    ? `${analysis.root_cause}\n→ ${analysis.outcome === "human" ? "needs a human" : analysis.action}` +
      ` (confidence ${analysis.confidence})\n${analysis.justification}` +
      ((analysis.hypotheses || []).length > 1 ? "\nAlso considered: " + analysis.hypotheses.slice(1)
        .map((h) => `${h.situation} → ${h.action} (${h.score})`).join("; ") : "")
    : streamed || "—";
  const council = $("council");
  council.replaceChildren();
  const decision = incident.council_decision;
  for (const vote of decision?.votes || []) {
    council.append(el("div", { class: `vote ${vote.verdict}`, title: vote.reasoning },
      el("strong", { text: vote.role }), ` ${vote.verdict}`));
  }
  if (decision) council.append(el("div", { class: "decision", text: decision.summary }));
  const timeline = $("timeline");
  timeline.replaceChildren(...(incident.timeline || []).map((entry) => el("li", {},
    el("time", { text: (entry.ts || "").slice(11, 19) }),
    el("span", { class: `status status-${entry.status}`, text: entry.status }),
    el("span", { text: entry.message }))));
}

// ---- reports: the post-incident report of the selected incident, the judgment chart ----------
function hideReport() {
  $("report").hidden = true;
  $("report-download").hidden = true;
  const old = $("report-download").getAttribute("href");
  if (old) URL.revokeObjectURL(old);
  $("report-download").removeAttribute("href");
}

async function showReport() {
  const id = state.selected;
  if (!id) return;
  const response = await fetch(`/incidents/${encodeURIComponent(id)}/postmortem`, { headers: { "X-API-Key": state.key } });
  if (!response.ok) {
    toast(`report: ${(await response.json().catch(() => ({}))).detail || `HTTP ${response.status}`}`);
    return;
  }
  const text = await response.text();
  hideReport();
  $("report").textContent = text;
  $("report").hidden = false;
  const link = $("report-download");
  link.href = URL.createObjectURL(new Blob([text], { type: "text/markdown" }));
  link.download = `postmortem-${id}.md`;
  link.hidden = false;
}

async function refreshJudgment() {
  const body = await api("/reports/judgment?since=30d");
  const rows = Object.entries(body.by_situation || {});
  const svg = $("judgment-chart");
  const ns = "http://www.w3.org/2000/svg";
  const most = Math.max(1, ...rows.map(([, r]) => r.decisions));
  const height = Math.min(22, 150 / Math.max(1, rows.length));
  const bars = [];
  rows.forEach(([name, r], i) => {
    const y = 4 + i * height;
    const parts = [["resolved", r.resolved_verified, "#3fb950"], ["human", r.needed_human, "#d29922"],
      ["other", Math.max(0, r.decisions - r.resolved_verified - r.needed_human), "#6e7681"]];
    let x = 130;
    for (const [kind, count, colour] of parts) {
      const width = (count / most) * 270;
      if (width <= 0) continue;
      const rect = document.createElementNS(ns, "rect");
      Object.entries({ x, y, width, height: height - 4, fill: colour, "data-situation": name, "data-kind": kind })
        .forEach(([k, v]) => rect.setAttribute(k, v));
      const title = document.createElementNS(ns, "title");
      title.textContent = `${name}: ${count} ${kind}`;
      rect.append(title);
      bars.push(rect);
      x += width;
    }
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", 0);
    label.setAttribute("y", y + height - 8);
    label.textContent = `${name} (${r.decisions})`;
    bars.push(label);
  });
  svg.replaceChildren(...bars);
  const t = body.time || {};
  $("judgment-summary").textContent = `${body.incidents} decided · resolved without a human ${t.resolved_without_a_human ?? 0}` +
    ` · overruled ${(body.overruled || []).length} · fixes that did not hold ${(body.fix_did_not_hold || []).length}`;
}

// ---- approvals and drafts --------------------------------------------------------------------
function renderApprovals() {
  const box = $("approvals");
  box.replaceChildren();
  for (const [id, held] of state.approvals) {
    const needed = held.required_role || "approver";
    const actions = can(needed) ? el("div", { class: "actions" },
      el("button", { class: "approve", "data-incident": id, text: "Approve", onclick: () => decide(id, "approve") }),
      el("button", { class: "reject", "data-incident": id, text: "Reject", onclick: () => decide(id, "reject") }))
      : el("div", { class: "empty", text: `needs the ${needed} role` });
    box.append(el("div", { class: "approval", "data-incident": id },
      el("strong", { text: id }), el("div", { text: held.reason }), actions));
  }
  if (!state.approvals.size) box.append(el("div", { class: "empty", text: "nothing is waiting for you" }));
  $("approval-count").textContent = state.approvals.size;
}

async function decide(id, verdict) {
  const comment = verdict === "reject" ? (prompt("Why reject?") || "") : "approved from the cockpit";
  try {
    const result = await api(`/incidents/${encodeURIComponent(id)}/${verdict}`, {
      method: "POST", body: JSON.stringify({ comment }),
    });
    upsertIncident(result);
    state.approvals.delete(id);
    renderApprovals();
    toast(`${id}: ${result.status}`);
  } catch (error) {
    toast(`${verdict} refused: ${error.message}`);
  }
}

// ---- silences (create and expire with `aegis silence` or the API; operators may expire here) ---------
async function refreshSilences() {
  const silences = (await api("/silences")).filter((s) => s.state !== "expired");
  const box = $("silences");
  box.replaceChildren();
  $("silence-count").textContent = silences.length;
  for (const s of silences) {
    const m = s.matchers;
    const what = [m.target !== "*" ? `target ${m.target}` : "", m.alert_name ? `alert /${m.alert_name}/` : "",
      ...Object.entries(m.labels || {}).map(([k, v]) => `${k}=~${v}`)].filter(Boolean).join(", ");
    const expire = async () => {
      try {
        await api(`/silences/${encodeURIComponent(s.id)}`, { method: "DELETE" });
        await refreshSilences();
      } catch (error) {
        toast(error.message);
      }
    };
    box.append(el("div", { class: "draft" },
      el("strong", { text: `${s.id} · ${s.state} · ${s.silenced_alerts} silenced` }),
      el("div", { text: `${what} until ${s.ends_at.slice(0, 16)} — ${s.comment} (${s.created_by})` }),
      can("operator") ? el("div", { class: "actions" },
        el("button", { class: "reject", text: "Expire", onclick: expire })) : null));
  }
  if (!silences.length) box.append(el("div", { class: "empty", text: "no active silences" }));
}

async function refreshDrafts() {
  state.drafts = await api("/notifications?status=drafted");
  const box = $("drafts");
  box.replaceChildren();
  for (const draft of state.drafts) {
    const path = `/notifications/${encodeURIComponent(draft.incident_id)}/${encodeURIComponent(draft.draft_id)}`;
    const review = async (verb) => {
      try {
        await api(`${path}/${verb}`, { method: "POST", body: "{}" });
        await refreshDrafts();
      } catch (error) {
        toast(error.message);
      }
    };
    box.append(el("div", { class: "draft" },
      el("strong", { text: `${draft.incident_id} · ${draft.draft_id}` }), el("div", { text: draft.subject }),
      can("operator") ? el("div", { class: "actions" },
        el("button", { class: "approve", text: "Send", onclick: () => review("approve") }),
        el("button", { class: "reject", text: "Drop", onclick: () => review("reject") })) : null));
  }
  if (!state.drafts.length) box.append(el("div", { class: "empty", text: "no drafts to review" }));
  $("draft-count").textContent = state.drafts.length;
}

// ---- metrics charts --------------------------------------------------------------------------
function onMetrics(samples) {
  for (const sample of samples) {
    const series = state.metrics.get(sample.name) || [];
    series.push({ cpu: sample.cpu_percent ?? 0, mem: sample.memory_mb ?? sample.memory_usage_mb ?? 0 });
    if (series.length > HISTORY) series.shift();
    state.metrics.set(sample.name, series);
  }
  drawChart($("cpu-chart"), "cpu", "CPU %");
  drawChart($("mem-chart"), "mem", "memory MB");
  const legend = $("legend");
  legend.replaceChildren(...[...state.metrics.keys()].map((name, i) => {
    const swatch = el("i");
    swatch.style.background = COLORS[i % COLORS.length]; // CSSOM, not a style attribute: the page's CSP allows it
    return el("span", {}, swatch, name);
  }));
  document.body.dataset.metricsFrames = String(Number(document.body.dataset.metricsFrames || 0) + 1);
}

function drawChart(canvas, field, label) {
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  let max = 1;
  for (const series of state.metrics.values()) for (const p of series) max = Math.max(max, p[field]);
  ctx.fillStyle = "#8393a7";
  ctx.font = "11px sans-serif";
  ctx.fillText(`${label} (max ${max.toFixed(1)})`, 6, 12);
  [...state.metrics.values()].forEach((series, i) => {
    ctx.strokeStyle = COLORS[i % COLORS.length];
    ctx.beginPath();
    const slots = Math.max(1, series.length - 1); // stretch over what we have until the history is full
    series.forEach((p, x) => {
      const px = (x / slots) * (width - 8) + 4;
      const py = height - 4 - (p[field] / max) * (height - 22);
      x ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
    });
    ctx.stroke();
    const last = series[series.length - 1];
    if (last) { // the latest value as a dot, so a single sample shows too
      ctx.fillStyle = COLORS[i % COLORS.length];
      ctx.beginPath();
      ctx.arc(series.length > 1 ? width - 4 : 4, height - 4 - (last[field] / max) * (height - 22), 2.5, 0, 7);
      ctx.fill();
    }
  });
}

// ---- topology and workers --------------------------------------------------------------------
async function refreshTopology() {
  const graph = await api("/topology");
  const svg = $("topology");
  const ns = "http://www.w3.org/2000/svg";
  const layers = ["agent", "dashboard", "loadbalancer", "app", "replica", "unknown"];
  const byLayer = new Map();
  for (const node of graph.nodes || []) {
    const layer = layers.includes(node.type) ? node.type : "unknown";
    if (!byLayer.has(layer)) byLayer.set(layer, []);
    byLayer.get(layer).push(node);
  }
  const used = layers.filter((l) => byLayer.has(l));
  const pos = new Map();
  used.forEach((layer, row) => {
    const nodes = byLayer.get(layer);
    nodes.forEach((node, i) => pos.set(node.id, {
      x: ((i + 1) * 420) / (nodes.length + 1), y: 24 + (row * 200) / Math.max(1, used.length - 1 || 1),
    }));
  });
  const children = [];
  for (const edge of graph.edges || []) {
    const a = pos.get(edge.from ?? edge.source), b = pos.get(edge.to ?? edge.target);  // the contract says from/to
    if (!a || !b) continue;
    const line = document.createElementNS(ns, "line");
    Object.entries({ x1: a.x, y1: a.y, x2: b.x, y2: b.y, stroke: "#263241" }).forEach(([k, v]) => line.setAttribute(k, v));
    children.push(line);
  }
  for (const node of graph.nodes || []) {
    const p = pos.get(node.id);
    const group = document.createElementNS(ns, "g");
    group.setAttribute("data-node", node.id);
    const dot = document.createElementNS(ns, "circle");
    const healthy = !node.status || ["running", "healthy", "up"].includes(String(node.status).toLowerCase());
    Object.entries({ cx: p.x, cy: p.y, r: 7, fill: healthy ? "#3fb950" : "#f85149" }).forEach(([k, v]) => dot.setAttribute(k, v));
    const text = document.createElementNS(ns, "text");
    text.setAttribute("x", p.x + 10);
    text.setAttribute("y", p.y + 4);
    text.textContent = node.label || node.id;
    group.append(dot, text);
    children.push(group);
  }
  svg.replaceChildren(...children);
}

async function refreshSystem() {
  const [supervisor, pipeline] = await Promise.allSettled([api("/api/system/supervisor"), api("/api/system/pipeline")]);
  const body = $("workers").tBodies[0];
  if (supervisor.status === "fulfilled") {
    body.replaceChildren(...(supervisor.value.workers || []).map((w) => el("tr", { "data-worker": w.name },
      el("td", { text: w.name }),
      el("td", {}, el("span", { class: `status status-${w.status === "running" ? "RESOLVED" : "FAILED"}`,
        text: w.status })),
      el("td", { text: `restarts ${w.restart_count ?? 0}/${w.max_restarts ?? "—"}` }),
      el("td", { text: w.error || "" }))));
  } else {
    body.replaceChildren(el("tr", {}, el("td", { class: "empty", text: "supervisor unavailable" })));
  }
  if (pipeline.status === "fulfilled") {
    const p = pipeline.value;
    const mode = p.degradation?.mode || "normal";
    $("mode").textContent = `mode: ${mode}`;
    $("mode").className = `pill ${mode === "normal" ? "pill-on" : "pill-wait"}`;
    const flight = Object.entries(p.incidents_in_flight || {}).map(([s, n]) => `${s} ${n}`).join(", ") || "none";
    const lag = (p.stages || []).filter((s) => s.pending).map((s) => `${s.stage} ${s.pending}`).join(", ") || "none";
    $("pipeline").textContent = `in flight: ${flight} · consumer lag: ${lag}`;
  }
}

// ---- the live feed ---------------------------------------------------------------------------
function setConnection(status) {
  const pill = $("connection");
  pill.dataset.state = status;
  pill.textContent = status;
  pill.className = `pill ${status === "live" ? "pill-on" : status === "reconnecting" ? "pill-wait" : "pill-off"}`;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  // the key rides in the subprotocol header, never in the URL (which proxies and servers log)
  const ws = new WebSocket(`${scheme}://${location.host}/ws`, ["aegis", state.key]);
  state.ws = ws;
  ws.onopen = async () => {
    const again = state.retry > 0;
    state.retry = 0;
    setConnection("live");
    if (again) await snapshot().catch(() => {});
  };
  ws.onmessage = (event) => onFrame(JSON.parse(event.data));
  ws.onclose = () => {
    if (!state.key) return;
    setConnection("reconnecting");
    const delay = Math.min(5000, 250 * 2 ** state.retry++);
    setTimeout(() => state.key && connect(), delay);
  };
}

const FRAME_STATUS = { resolved: "RESOLVED", failed: "FAILED" };

function onFrame(frame) {
  const id = frame.incident_id;
  const data = frame.data || {};
  switch (frame.type) {
    case "incident.new":
      upsertIncident({ incident_id: id, alert_type: data.alert_type, status: "RECEIVED", timeline: [] });
      break;
    case "status.update": {
      const known = state.incidents.get(id) || { incident_id: id, alert_type: "", timeline: [] };
      const entry = { ts: frame.timestamp, status: data.status, message: data.message, agent: null };
      // the gateway sends the incident's status after this line: the cockpit shows it, it does not fold events
      upsertIncident({ ...known, status: data.incident_status || known.status,
        timeline: [...(known.timeline || []), entry] });
      if (data.status === "NOTIFIED") refreshDrafts().catch(() => {});
      break;
    }
    case "ai.stream":
      state.aiText.set(id, data.full_text);
      if (id === state.selected && !state.incidents.get(id)?.analysis) $("ai-stream").textContent = data.full_text;
      return;
    case "ai.complete":
      upsertIncident({ ...state.incidents.get(id), analysis: data.analysis });
      break;
    case "council.decision":
      upsertIncident({ ...state.incidents.get(id), council_decision: data.decision });
      break;
    case "approval.requested":
      state.approvals.set(id, { reason: data.reason, required_role: data.required_role });
      renderApprovals();
      break;
    case "approval.granted": case "approval.rejected": case "approval.expired":
      state.approvals.delete(id);
      renderApprovals();
      break;
    case "resolved": case "failed":
      upsertIncident({ ...state.incidents.get(id), status: FRAME_STATUS[frame.type], error: data.error ?? null,
        resolved_at: data.resolved_at ?? null, outcome: data.outcome ?? null, verified: data.verified ?? null });
      break;
    case "notification.updated":
      refreshDrafts().catch(() => {});
      return;
    case "alert.joined": {
      const primary = state.incidents.get(id);
      if (primary) {
        const sources = { ...(primary.correlated?.sources || {}) };
        sources[data.source] = (sources[data.source] || 0) + 1;
        upsertIncident({ ...primary, correlated: { ...(primary.correlated || {}), count: data.count, sources } });
      }
      break;
    }
    case "alert.silenced":
      refreshSilences().catch(() => {});
      return;
    case "metrics":
      onMetrics(frame.data || []);
      return;
    case "container.list":
    case "scale.event":
      refreshTopology().catch(() => {});
      return;
    default:
      return;
  }
  if (id && id === state.selected) renderDetail();
}

// The timeline line's status is the incident status for most lines; a few are moments, not states.
// ---- start -----------------------------------------------------------------------------------
function start() {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn($("api-key").value.trim());
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("report-button").addEventListener("click", () => showReport().catch((error) => toast(error.message)));
  $("filter").addEventListener("input", applyFilter);
  setInterval(() => state.me && refreshSystem().catch(() => {}), 5000);
  setInterval(() => state.me && refreshSilences().catch(() => {}), 10000);
  setInterval(() => state.me && refreshJudgment().catch(() => {}), 30000);
  setInterval(() => state.ws?.readyState === WebSocket.OPEN && state.ws.send("ping"), 30000);
  if (state.key) signIn(state.key).then((ok) => ok || signOut("Sign in again."));
  else $("sign-in").hidden = false;
}

start();
