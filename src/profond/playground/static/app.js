// profond playground: the page. It sends the user's choices to the server over a WebSocket and
// draws what the server sends back. The server is the source of truth for every setting: after
// each change it echoes the settings and the page updates its controls from them.
// No eval, no innerHTML with data: text goes in through textContent only.
"use strict";

const COLORS = ["#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd"];
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
  frame: 0,
};

// ------------------------------------------------------------------------------------------
// Connection
// ------------------------------------------------------------------------------------------
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  state.socket = socket;
  socket.onopen = () => setStatus("connected", "ok");
  socket.onclose = () => { setStatus("disconnected: reload the page", "bad"); setPlaying(false); };
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

function sendSettings(changes) { send({ type: "settings", settings: changes }); }

function setStatus(text, kind) {
  const el = $("status");
  el.textContent = text;
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
    $("point-count").textContent =
      `${m.train.length + m.test.length} points: ${m.train.length} train, ${m.test.length} test`;
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

function buildMenus() {
  const o = state.options;
  fillSelect($("dataset"), Object.entries(o.datasets).map(([name, d]) =>
    [name, d.task === "regression" ? `${name} (regression)` : name]));
  fillSelect($("activation"), o.activations.map((a) => [a, a]));
  fillSelect($("optimizer"), o.optimizers.map((name) => [name, {
    sgd: "SGD", momentum: "SGD + momentum", adagrad: "Adagrad", rmsprop: "RMSProp",
    adadelta: "Adadelta", adam: "Adam" }[name] || name]));
  for (const id of ["l1", "l2"]) fillSelect($(id), REGULARIZATION.map((v) => [v, String(v)]));
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
  fillSelect($("loss"), state.options.losses[d.task].map((name) => [name, {
    crossentropy: "cross-entropy", mse: "mean squared error", mae: "mean absolute error",
    huber: "Huber" }[name] || name]));
  $("loss").value = s.loss;
  $("optimizer").value = s.optimizer;
  $("l1").value = closest(REGULARIZATION, s.l1);
  $("l2").value = closest(REGULARIZATION, s.l2);
  buildBrush(d.task, s.classes);
  buildLayers(s.layers);
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
    $("brush-label").textContent = "Value";
    fillSelect(brush, REGRESSION_BRUSH.map((v) => [v, String(v)]));
  } else {
    $("brush-label").textContent = "Class";
    fillSelect(brush, Array.from({ length: classes }, (_, k) => [k, `class ${k}`]));
  }
  if ([...brush.options].some((o) => o.value === previous)) brush.value = previous;
}

function buildLayers(layers) {
  $("layer-count").textContent = String(layers.length);
  const box = $("layers");
  box.replaceChildren();
  layers.forEach((units, i) => {
    const column = document.createElement("div");
    column.className = "layer";
    const title = document.createElement("div");
    title.className = "title";
    title.textContent = `layer ${i + 1}`;
    const row = document.createElement("div");
    row.className = "units";
    const minus = button("−", `remove-neuron-${i + 1}`, () => changeUnits(i, -1));
    const count = document.createElement("span");
    count.textContent = String(units);
    const plus = button("+", `add-neuron-${i + 1}`, () => changeUnits(i, +1));
    row.append(minus, count, plus);
    const neurons = document.createElement("div");
    neurons.className = units > 8 ? "neurons two" : "neurons";
    column.append(title, row, neurons);
    for (let j = 0; j < units; j++) {
      const canvas = document.createElement("canvas");
      canvas.className = "neuron";
      canvas.width = 24;
      canvas.height = 24;
      canvas.dataset.layer = String(i + 1);
      canvas.dataset.neuron = String(j);
      canvas.title = `layer ${i + 1}, neuron ${j}`;
      canvas.addEventListener("click", (e) => chooseNeuron(i + 1, j, e.shiftKey));
      neurons.append(canvas);
    }
    box.append(column);
  });
  buildViewMenus();
}

function button(text, id, onClick) {
  const b = document.createElement("button");
  b.textContent = text;
  b.id = id;
  b.addEventListener("click", onClick);
  return b;
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
  fillSelect($("transform-layer"), [[0, "input"], ...Array.from({ length: n },
    (_, i) => [i + 1, `hidden ${i + 1}`])]);
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
  send({ type: "view", layer: Number($("transform-layer").value),
         x: Number($("transform-x").value), y: Number($("transform-y").value) });
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
  $("play").textContent = playing ? "Pause" : "Play";
}

// --- export ---
function receiveExport(m) {
  let blob;
  if (m.format === "python") {
    const pre = $("code");
    pre.textContent = m.code;
    pre.hidden = false;
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
    $("epoch").textContent = u.epoch.toFixed(1);
    $("train-loss").textContent = u.train_loss === null ? "–" : u.train_loss.toFixed(3);
    $("test-loss").textContent = u.test_loss === null ? "–" : u.test_loss.toFixed(3);
    $("test-accuracy").textContent = u.test_accuracy === null ? "–" : u.test_accuracy.toFixed(3);
  }
  drawPlane();
  drawCurves();
  drawNeurons();
  drawTransform();
}

function decode(b64) { return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)); }

// Diverging colour for t in [0, 1]: blue (low), white, orange (high).
function diverging(t) {
  const [lo, hi] = [RGB[1], RGB[0]];
  const s = Math.abs(2 * t - 1);
  const end = t < 0.5 ? lo : hi;
  return end.map((c) => Math.round(255 + (c - 255) * s));
}

const offscreen = document.createElement("canvas");

// Paint size × size colours (from colourAt(i) → [r, g, b]) scaled onto ctx's w × h area.
function paint(ctx, size, colourAt, w, h) {
  offscreen.width = size;
  offscreen.height = size;
  const octx = offscreen.getContext("2d");
  const image = octx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const [r, g, b] = colourAt(i);
    image.data.set([r, g, b, 255], 4 * i);
  }
  octx.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(offscreen, 0, 0, w, h);
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
  ctx.fillText(`max ${top.toPrecision(3)}`, pad, 12);
  ctx.fillText(`epoch ${h[h.length - 1][0].toFixed(1)}`, W - 80, H - 8);
}

function drawNeurons() {
  const u = state.update;
  const view = currentView();
  for (const canvas of document.querySelectorAll("canvas.neuron")) {
    const layer = Number(canvas.dataset.layer);
    const neuron = Number(canvas.dataset.neuron);
    canvas.classList.toggle("selected-x", view.layer === layer && view.x === neuron);
    canvas.classList.toggle("selected-y", view.layer === layer && view.y === neuron);
    const maps = u && u.neurons[layer - 1];
    if (!maps || neuron >= maps.low.length) continue;
    if (!maps.bytes) maps.bytes = decode(maps.maps);
    const size = maps.size;
    const offset = neuron * size * size;
    const ctx = canvas.getContext("2d");
    paint(ctx, size, (i) => diverging(maps.bytes[offset + i] / 255), canvas.width, canvas.height);
    canvas.title = `layer ${layer}, neuron ${neuron}: ` +
      `${maps.low[neuron].toFixed(2)} … ${maps.high[neuron].toFixed(2)}`;
  }
}

function drawTransform() {
  const canvas = $("transform");
  const ctx = canvas.getContext("2d");
  const { width: W, height: H } = canvas;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  const u = state.update;
  const t = u && u.transform;
  if (!t) return;
  const name = t.layer === 0 ? "input plane" : `hidden layer ${t.layer}`;
  $("transform-caption").textContent = `${name}: neuron ${t.x} → x, neuron ${t.y} → y`;
  const all = t.grid.concat(t.points);
  let [xmin, xmax, ymin, ymax] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < all.length; i += 2) {
    xmin = Math.min(xmin, all[i]); xmax = Math.max(xmax, all[i]);
    ymin = Math.min(ymin, all[i + 1]); ymax = Math.max(ymax, all[i + 1]);
  }
  const xs = Math.max(xmax - xmin, 1e-6) * 1.1;
  const ys = Math.max(ymax - ymin, 1e-6) * 1.1;
  const cx = (xmin + xmax) / 2;
  const cy = (ymin + ymax) / 2;
  const toX = (x) => W / 2 + ((x - cx) / xs) * W;
  const toY = (y) => H / 2 - ((y - cy) / ys) * H;
  const n = t.lattice;
  const at = (r, c) => 2 * (r * n + c);
  ctx.strokeStyle = "rgba(0,0,0,0.25)";
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const i = at(r, c);
      if (c === 0) ctx.moveTo(toX(t.grid[i]), toY(t.grid[i + 1]));
      else ctx.lineTo(toX(t.grid[i]), toY(t.grid[i + 1]));
    }
  }
  for (let c = 0; c < n; c++) {
    for (let r = 0; r < n; r++) {
      const i = at(r, c);
      if (r === 0) ctx.moveTo(toX(t.grid[i]), toY(t.grid[i + 1]));
      else ctx.lineTo(toX(t.grid[i]), toY(t.grid[i + 1]));
    }
  }
  ctx.stroke();
  const d = state.data;
  if (!d) return;
  const labels = d.train.concat(d.test).map((row) => row[2]);
  if (labels.length * 2 !== t.points.length) return;  // the data changed since this update
  for (let k = 0; k < labels.length; k++) {
    ctx.beginPath();
    ctx.arc(toX(t.points[2 * k]), toY(t.points[2 * k + 1]), 2.5, 0, 2 * Math.PI);
    ctx.fillStyle = pointColour(labels[k], d.task, u.grid);
    ctx.fill();
  }
}

wireControls();
connect();
