// profond playground: the page. It sends the user's choices to the server over a WebSocket and
// draws what the server sends back. The server is the source of truth for every setting: after
// each change it echoes the settings and the page updates its controls from them.
// No eval, no innerHTML with data: text goes in through textContent only.
"use strict";

// Class colours: matplotlib's tab10, as in profond.viz (class 0 blue, class 1 orange…).
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];
const RGB = COLORS.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
const REGULARIZATION = [0, 0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1];
const REGRESSION_BRUSH = [1, 0.5, 0, -0.5, -1];

const $ = (id) => document.getElementById(id);

const state = {
  socket: null,
  options: null,      // what the server offers (hello)
  settings: null,     // the current settings (echoed by the server)
  data: null,         // {generation, task, classes, extent, train, test}
  update: null,       // the last snapshot
  history: [],        // [epoch, train loss, test loss]
  lastSteps: -1,
  playing: false,
  warning: null,      // the last snapshot's warning (diverged, exploding, dead, stalled)
  pendingView: null,  // the view last asked for, until a snapshot shows it (see syncViewMenus)
  frame: 0,
};

// ------------------------------------------------------------------------------------------
// Connection
// ------------------------------------------------------------------------------------------
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  state.socket = socket;
  socket.onopen = () => setStatus("status.connected", "ok");
  socket.onclose = () => { setStatus("status.disconnected", "bad"); setPlaying(false); };
  socket.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    const handler = HANDLERS[message.type];
    if (handler) handler(message);
  };
}

function send(message) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify(message));
  }
}

function sendSettings(changes) {
  if (changes.layers) state.pendingView = null;  // the server may move the view: follow it
  send({ type: "settings", settings: changes });
}

function setStatus(key, kind) {  // key: a text of i18n.js, kept to translate it again
  const el = $("status");
  el.dataset.key = key;
  el.textContent = t(key);
  el.className = "status " + (kind || "");
}

let toastTimer = 0;
function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove("show"), 4000);
}

const HANDLERS = {
  hello(m) { state.options = m.options; buildMenus(); applySettings(m.settings); },
  settings(m) { applySettings(m.settings); },
  data(m) {
    state.data = m;
    showPointCount();
    scheduleDraw();
  },
  update(m) {
    if (state.data && m.generation < state.data.generation) return;  // from an older network
    if (m.steps < state.lastSteps) state.history = [];  // a new network
    const point = [m.epoch, m.train_loss, m.test_loss];
    if (m.steps === state.lastSteps && state.history.length) {
      state.history[state.history.length - 1] = point;
    } else {
      state.history.push(point);
      if (state.history.length > 2000) state.history = state.history.filter((_, i) => i % 2 === 0);
    }
    state.lastSteps = m.steps;
    state.update = m;
    showWarning(m.warning);
    syncViewMenus();
    scheduleDraw();
  },
  state(m) { setPlaying(m.playing); },
  export(m) { receiveExport(m); },
  error(m) { toast(m.message); },
};

// ------------------------------------------------------------------------------------------
// Controls
// ------------------------------------------------------------------------------------------
function fillSelect(select, items) {  // items: [value, label] pairs
  select.replaceChildren(...items.map(([value, label]) => {
    const option = document.createElement("option");
    option.value = String(value);
    option.textContent = label;
    return option;
  }));
}

function showPointCount() {
  const m = state.data;
  if (!m) return;
  $("point-count").textContent = t("data.count", { n: m.train.length + m.test.length,
    train: m.train.length, test: m.test.length });
}

function buildMenus() {
  const o = state.options;
  fillSelect($("dataset"), Object.entries(o.datasets).map(([name, d]) => {
    const shown = t("dataset." + name);
    return [name, d.task === "regression" ? t("data.regression", { name: shown }) : shown];
  }));
  fillSelect($("activation"), o.activations.map((a) => [a, a]));
  fillSelect($("optimizer"), o.optimizers.map((name) => [name, {
    sgd: "SGD", momentum: "SGD + momentum", adagrad: "Adagrad", rmsprop: "RMSProp",
    adadelta: "Adadelta", adam: "Adam" }[name] || name]));
  for (const id of ["l1", "l2"]) fillSelect($(id), REGULARIZATION.map((v) => [v, String(v)]));
  buildFeatures(o.features);
}

// --- input features: one checkbox each (x₁, x₂, x₁², …); at least one stays checked ---
function buildFeatures(features) {
  $("features").replaceChildren(...Object.entries(features).map(([name, label]) => {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = "feature-" + name;
    box.value = name;
    box.addEventListener("change", () => {
      const chosen = [...document.querySelectorAll("#features input:checked")].map((b) => b.value);
      if (chosen.length) sendSettings({ features: chosen }); else box.checked = true;
    });
    const item = document.createElement("label");
    item.className = "inline";
    item.append(box, " " + label);
    return item;
  }));
}

// --- the warning when training goes wrong (diverged, exploding, dead ReLUs, stalled) ---
function showWarning(w) {
  state.warning = w;
  const box = $("warning");
  box.hidden = !w;
  if (!w) return;
  const text = t("warning." + w.kind, w);  // {learning_rate}, {dead}, {total}… from w
  $("warning-text").textContent = text === "warning." + w.kind ? w.message : text;
  $("warning-fix").textContent = t("warning.fix", w);
}

function applySettings(s) {
  state.settings = s;
  const d = state.options.datasets[s.dataset];
  $("dataset").value = s.dataset;
  const [low, high] = d.classes;
  const classes = [];
  for (let k = Math.max(low, 2); k <= Math.max(high, 2); k++) classes.push([k, String(k)]);
  fillSelect($("classes"), classes);
  $("classes").value = String(s.classes);
  $("classes").disabled = d.task === "regression" || low === high;
  setRange("n-samples", s.n_samples, String(s.n_samples));
  setRange("noise", s.noise, s.noise.toFixed(2));
  setRange("train-ratio", s.train_ratio, `${Math.round(s.train_ratio * 100)} %`);
  setRange("batch-size", s.batch_size, String(s.batch_size));
  setRange("learning-rate", Math.log10(s.learning_rate), formatRate(s.learning_rate));
  $("activation").value = s.activation;
  fillSelect($("loss"), state.options.losses[d.task].map((name) => [name, t("loss." + name)]));
  $("loss").value = s.loss;
  $("speed").value = s.speed;
  $("optimizer").value = s.optimizer;
  $("l1").value = closest(REGULARIZATION, s.l1);
  $("l2").value = closest(REGULARIZATION, s.l2);
  for (const box of document.querySelectorAll("#features input")) {
    box.checked = s.features.includes(box.value);
  }
  buildBrush(d.task, s.classes);
  buildNetwork(s.layers);
  buildViewMenus();
  scheduleDraw();
}

function setRange(id, value, text) {
  $(id).value = String(value);
  $(id + "-value").textContent = text;
}

function closest(values, v) {
  return String(values.reduce((a, b) => (Math.abs(b - v) < Math.abs(a - v) ? b : a)));
}

function formatRate(rate) { return rate >= 0.01 ? rate.toPrecision(2) : rate.toExponential(1); }

function buildBrush(task, classes) {
  const brush = $("brush");
  const previous = brush.value;
  if (task === "regression") {
    $("brush-label").textContent = t("data.value");
    fillSelect(brush, REGRESSION_BRUSH.map((v) => [v, String(v)]));
  } else {
    $("brush-label").textContent = t("data.class");
    fillSelect(brush, Array.from({ length: classes }, (_, k) => [k, t("data.class_k", { k })]));
  }
  if ([...brush.options].some((o) => o.value === previous)) brush.value = previous;
}

function changeUnits(i, delta) {
  const layers = state.settings.layers.slice();
  layers[i] = Math.min(state.options.max_units, Math.max(1, layers[i] + delta));
  sendSettings({ layers });
}

function changeLayers(delta) {
  const layers = state.settings.layers.slice();
  if (delta > 0 && layers.length < state.options.max_layers) {
    layers.push(layers.length ? layers[layers.length - 1] : 4);
  } else if (delta < 0 && layers.length) {
    layers.pop();
  }
  sendSettings({ layers });
}

// --- transformed-space view menus ---
function layerWidth(layer) { return layer === 0 ? 2 : state.settings.layers[layer - 1]; }

function buildViewMenus() {
  const view = currentView();
  const n = state.settings.layers.length;
  fillSelect($("transform-layer"), [[0, t("transform.input")], ...Array.from({ length: n },
    (_, i) => [i + 1, t("transform.hidden", { i: i + 1 })])]);
  $("transform-layer").value = String(Math.min(view.layer, n));
  fillNeuronMenus(Number($("transform-layer").value), view.x, view.y);
}

function fillNeuronMenus(layer, x, y) {
  const width = layerWidth(layer);
  const items = Array.from({ length: width }, (_, j) => [j, String(j)]);
  fillSelect($("transform-x"), items);
  fillSelect($("transform-y"), items);
  $("transform-x").value = String(Math.min(x, width - 1));
  $("transform-y").value = String(Math.min(y, width - 1));
}

function syncViewMenus() {  // the server may have moved the view (a layer was removed)
  const view = currentView();
  const asked = state.pendingView;
  if (asked) {
    // NOTE: a snapshot made before the server took the page's last choice still shows the
    // old view; following it would undo the choice in the menus (the browser test saw the
    // next menu change send the old neuron back).
    if (asked.layer !== view.layer || asked.x !== view.x || asked.y !== view.y) return;
    state.pendingView = null;
  }
  if (Number($("transform-layer").value) !== view.layer ||
      Number($("transform-x").value) !== view.x || Number($("transform-y").value) !== view.y) {
    $("transform-layer").value = String(view.layer);
    fillNeuronMenus(view.layer, view.x, view.y);
  }
}

function currentView() {
  const t = state.update && state.update.transform;
  return t ? { layer: t.layer, x: t.x, y: t.y } : { layer: 1, x: 0, y: 1 };
}

function sendView() {
  state.pendingView = { layer: Number($("transform-layer").value),
                        x: Number($("transform-x").value), y: Number($("transform-y").value) };
  send({ type: "view", ...state.pendingView });
}

function chooseNeuron(layer, neuron, vertical) {
  const view = currentView();
  let x = view.layer === layer ? view.x : 0;
  let y = view.layer === layer ? view.y : Math.min(1, layerWidth(layer) - 1);
  if (vertical) y = neuron; else x = neuron;
  $("transform-layer").value = String(layer);
  fillNeuronMenus(layer, x, y);
  sendView();
}

// --- playing ---
function setPlaying(playing) {
  state.playing = playing;
  $("play").textContent = t(playing ? "run.pause" : "run.play");
}

// --- export ---
function receiveExport(m) {
  let blob;
  if (m.format === "python") {
    const pre = $("code");
    pre.textContent = m.code;
    pre.hidden = false;
    $("code-panel").hidden = false;
    blob = new Blob([m.code], { type: "text/x-python" });
  } else {
    const bytes = Uint8Array.from(atob(m.data), (c) => c.charCodeAt(0));
    blob = new Blob([bytes], { type: "application/octet-stream" });
  }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = m.format === "python" ? "playground.py" : "playground.profond";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

// --- clicks on the plane ---
function planePoint(event) {
  const canvas = $("plane");
  const rect = canvas.getBoundingClientRect();
  const e = state.data ? state.data.extent : 1.25;
  const clamp = (v) => Math.max(-e, Math.min(e, v));
  return {
    x: clamp(-e + (2 * e * (event.clientX - rect.left)) / rect.width),
    y: clamp(e - (2 * e * (event.clientY - rect.top)) / rect.height),
  };
}

function onPlaneClick(event) {
  if (!state.data) return;
  const { x, y } = planePoint(event);
  if ($("mode-remove").checked) {
    send({ type: "remove_point", x, y });
    return;
  }
  let label = Number($("brush").value);
  if (state.data.task === "regression") {
    if (event.shiftKey) label = -label;
  } else if (event.shiftKey) {
    label = (label + 1) % state.data.classes;
  }
  send({ type: "add_point", x, y, label });
}

function wireControls() {
  $("play").addEventListener("click", () => send({ type: state.playing ? "pause" : "play" }));
  $("step").addEventListener("click", () => send({ type: "step" }));
  $("one-step").addEventListener("click", () => send({ type: "one_step" }));
  $("speed").addEventListener("change", (e) => sendSettings({ speed: e.target.value }));
  $("reset").addEventListener("click", () => send({ type: "reset" }));
  $("regenerate").addEventListener("click", () =>
    sendSettings({ seed: (state.settings.seed * 7919 + 13) % 2147483647 }));
  $("add-layer").addEventListener("click", () => changeLayers(+1));
  $("remove-layer").addEventListener("click", () => changeLayers(-1));
  $("dataset").addEventListener("change", (e) => sendSettings({ dataset: e.target.value }));
  for (const [id, key] of [["classes", "classes"], ["l1", "l1"], ["l2", "l2"]]) {
    $(id).addEventListener("change", (e) => sendSettings({ [key]: Number(e.target.value) }));
  }
  for (const [id, key] of [["activation", "activation"], ["loss", "loss"],
                           ["optimizer", "optimizer"]]) {
    $(id).addEventListener("change", (e) => sendSettings({ [key]: e.target.value }));
  }
  // Sliders: show the value while dragging, send it when released.
  const sliders = [
    ["n-samples", "n_samples", (v) => v, (v) => String(v)],
    ["noise", "noise", (v) => v, (v) => v.toFixed(2)],
    ["train-ratio", "train_ratio", (v) => v, (v) => `${Math.round(v * 100)} %`],
    ["batch-size", "batch_size", (v) => v, (v) => String(v)],
    ["learning-rate", "learning_rate", (v) => Number((10 ** v).toPrecision(3)), formatRate],
  ];
  for (const [id, key, convert, format] of sliders) {
    const input = $(id);
    input.addEventListener("input", () => {
      $(id + "-value").textContent = format(convert(Number(input.value)));
    });
    input.addEventListener("change", () => sendSettings({ [key]: convert(Number(input.value)) }));
  }
  $("transform-layer").addEventListener("change", () => {
    const layer = Number($("transform-layer").value);
    fillNeuronMenus(layer, 0, 1);
    sendView();
  });
  $("transform-x").addEventListener("change", sendView);
  $("transform-y").addEventListener("change", sendView);
  $("export-profond").addEventListener("click", () => send({ type: "export", format: "profond" }));
  $("export-python").addEventListener("click", () => send({ type: "export", format: "python" }));
  $("show-test").addEventListener("change", scheduleDraw);
  $("warning-fix").addEventListener("click", () => {  // the suggested rate, on a new network
    if (!state.warning) return;
    sendSettings({ learning_rate: state.warning.learning_rate });
    send({ type: "reset" });
  });
  const plane = $("plane");
  plane.addEventListener("click", onPlaneClick);
  plane.addEventListener("contextmenu", (event) => {
    event.preventDefault();
    const { x, y } = planePoint(event);
    send({ type: "remove_point", x, y });
  });
}

// ------------------------------------------------------------------------------------------
// Drawing
// ------------------------------------------------------------------------------------------
function scheduleDraw() {
  if (!state.frame) state.frame = requestAnimationFrame(() => { state.frame = 0; draw(); });
}

function draw() {
  if (!state.settings) return;
  const u = state.update;
  if (u) {
    $("epoch").textContent = String(Math.floor(u.epoch));  // whole passes over the data
    $("steps").textContent = String(u.steps);  // mini-batch steps (gradient updates)
    $("train-loss").textContent = u.train_loss === null ? "–" : u.train_loss.toFixed(3);
    $("test-loss").textContent = u.test_loss === null ? "–" : u.test_loss.toFixed(3);
    $("test-accuracy").textContent = u.test_accuracy === null ? "–" : u.test_accuracy.toFixed(3);
  }
  drawPlane();
  drawCurves();
  drawNetwork(u);
  drawTransform();
}

function pointColour(label, task, grid) {
  if (task !== "regression") return COLORS[Math.round(label) % COLORS.length];
  const low = grid ? grid.low : -1;
  const high = grid ? grid.high : 1;
  const [r, g, b] = diverging(Math.max(0, Math.min(1, (label - low) / (high - low))));
  return `rgb(${r},${g},${b})`;
}

function drawPlane() {
  const canvas = $("plane");
  const ctx = canvas.getContext("2d");
  const { width: W, height: H } = canvas;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  const u = state.update;
  const grid = u && u.grid;
  if (grid) {
    if (grid.kind === "class") {
      const cls = decode(grid.class);
      const conf = decode(grid.confidence);
      paint(ctx, grid.size, (i) => {
        const a = 0.12 + 0.55 * (conf[i] / 255);
        return RGB[cls[i] % RGB.length].map((c) => Math.round(255 + (c - 255) * a));
      }, W, H);
    } else {
      const values = decode(grid.value);
      paint(ctx, grid.size, (i) => diverging(values[i] / 255).map(
        (c) => Math.round(255 + (c - 255) * 0.7)), W, H);
    }
  }
  const d = state.data;
  if (!d) return;
  const e = d.extent;
  ctx.strokeStyle = "rgba(0,0,0,0.15)";  // axes
  ctx.beginPath();
  ctx.moveTo(W / 2, 0); ctx.lineTo(W / 2, H); ctx.moveTo(0, H / 2); ctx.lineTo(W, H / 2);
  ctx.stroke();
  const toX = (x) => ((x + e) / (2 * e)) * W;
  const toY = (y) => ((e - y) / (2 * e)) * H;
  const drawPoints = (points, test) => {
    for (const [x, y, label] of points) {
      ctx.beginPath();
      ctx.arc(toX(x), toY(y), 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = pointColour(label, d.task, grid);
      ctx.fill();
      ctx.lineWidth = test ? 1.2 : 1;
      ctx.strokeStyle = test ? "#333" : (d.task === "regression" ? "#999" : "#fff");
      ctx.stroke();
    }
  };
  drawPoints(d.train, false);
  if ($("show-test").checked) drawPoints(d.test, true);
}

function drawCurves() {
  const canvas = $("curves");
  const ctx = canvas.getContext("2d");
  const { width: W, height: H } = canvas;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  const h = state.history;
  if (h.length < 2) return;
  let top = 0;
  for (const [, a, b] of h) top = Math.max(top, a || 0, b || 0);
  if (!(top > 0)) return;
  const x0 = h[0][0];
  const span = Math.max(h[h.length - 1][0] - x0, 1e-9);
  const pad = 6;
  const toX = (x) => pad + ((x - x0) / span) * (W - 2 * pad);
  const toY = (y) => H - pad - (y / top) * (H - 2 * pad);
  for (const [column, colour] of [[1, "#888"], [2, "#222"]]) {
    ctx.beginPath();
    let started = false;
    for (const row of h) {
      if (row[column] === null) continue;
      if (started) ctx.lineTo(toX(row[0]), toY(row[column]));
      else { ctx.moveTo(toX(row[0]), toY(row[column])); started = true; }
    }
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5;
    ctx.stroke();
  }
  ctx.fillStyle = "#666";
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillText(t("output.max", { value: top.toPrecision(3) }), pad, 12);
  ctx.textAlign = "right";
  ctx.fillText(t("output.epoch", { n: Math.floor(h[h.length - 1][0]) }), W - pad, H - 8);
  ctx.textAlign = "left";
}

// The range [low, high] shown on one axis of the transformed space: that of the data points,
// padded by 5 %, or their 1st to 99th percentiles when a few far points would squeeze the rest
// into a twentieth of the view. NOTE: the view is rescaled for each layer and pair of neurons
// from the points alone, so saturated units (all points within 0.999…1 of a sigmoid, say) are
// spread over the view instead of collapsing to one dot; the lattice may run past the edges.
function axisRange(values) {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let [low, high] = [sorted[0], sorted[n - 1]];
  const [inner, outer] = [sorted[Math.floor(0.01 * (n - 1))], sorted[Math.ceil(0.99 * (n - 1))]];
  if (outer - inner > 1e-12 && outer - inner < (high - low) / 20) [low, high] = [inner, outer];
  if (!(high - low > 1e-12)) [low, high] = [low - 0.5, high + 0.5];  // one value: centred
  const pad = 0.05 * (high - low);
  return [low - pad, high + pad];
}

// "0.99962 … 0.99998": enough decimals for the two ends of a range to differ.
function rangeText(low, high) {
  const decimals = Math.min(8, Math.max(2, 2 - Math.floor(Math.log10(high - low))));
  return `${low.toFixed(decimals)} … ${high.toFixed(decimals)}`;
}

function drawTransform() {
  const canvas = $("transform");
  const ctx = canvas.getContext("2d");
  const { width: W, height: H } = canvas;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  const u = state.update;
  const view = u && u.transform;
  if (!view) return;
  const name = view.layer === 0 ? t("transform.input_plane")
    : t("transform.hidden_layer", { i: view.layer });
  $("transform-caption").textContent = t("transform.caption", { name, x: view.x, y: view.y });
  const values = view.points.length ? view.points : view.grid;
  const [xlow, xhigh] = axisRange(values.filter((_, i) => i % 2 === 0));
  const [ylow, yhigh] = axisRange(values.filter((_, i) => i % 2 === 1));
  const toX = (x) => ((x - xlow) / (xhigh - xlow)) * W;
  const toY = (y) => H - ((y - ylow) / (yhigh - ylow)) * H;
  const n = view.lattice;
  const at = (r, c) => 2 * (r * n + c);
  const line = (i, first) => {
    const [x, y] = [toX(view.grid[i]), toY(view.grid[i + 1])];
    if (first) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  };
  ctx.strokeStyle = "rgba(0,0,0,0.25)";
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) line(at(r, c), c === 0);
  for (let c = 0; c < n; c++) for (let r = 0; r < n; r++) line(at(r, c), r === 0);
  ctx.stroke();
  ctx.fillStyle = "#666";  // the axes' ranges: how far the view is zoomed
  ctx.font = "10px system-ui, sans-serif";
  ctx.fillText(`x ${rangeText(xlow, xhigh)}`, 4, H - 4);
  ctx.fillText(`y ${rangeText(ylow, yhigh)}`, 4, 12);
  const d = state.data;
  if (!d) return;
  const labels = d.train.concat(d.test).map((row) => row[2]);
  if (labels.length * 2 !== view.points.length) return;  // the data changed since this update
  for (let k = 0; k < labels.length; k++) {
    ctx.beginPath();
    ctx.arc(toX(view.points[2 * k]), toY(view.points[2 * k + 1]), 2.5, 0, 2 * Math.PI);
    ctx.fillStyle = pointColour(labels[k], d.task, u.grid);
    ctx.fill();
  }
}

// A new language: the texts this script wrote are written again.
languageListeners.push(() => {
  if (state.options) { buildMenus(); applySettings(state.settings); }
  setPlaying(state.playing);
  setStatus($("status").dataset.key || "status.connecting", $("status").classList[1]);
  showPointCount();
  showWarning(state.warning);
});

wireLanguage();
setStatus("status.connecting");
wireControls();
connect();
