// profond playground: the network drawn as a network. One column of nodes per layer (the input
// features, each hidden layer, the outputs); each node shows its output over the plane as a
// small heat map, and a line joins every node to every node of the next layer. A line's colour
// is the sign of its weight w (orange: w > 0, blue: w < 0) and its width is |w|, scaled so that
// the largest |w| of the network gets the widest line (the legend says how large that is).
//
// The nodes are HTML (canvases in flex columns, so the page's layout places them); the lines are
// one SVG drawn behind them, laid out again whenever the columns move (ResizeObserver). Each
// update only recolours the lines. Uses i18n.js's t and language, and app.js's state, $, RGB
// (the class colours), currentView, chooseNeuron and changeUnits.
"use strict";

// Input feature id → its label (the server's names; its `hello` may send its own labels).
const FEATURE_LABELS = {
  x1: "x₁", x2: "x₂", x1_squared: "x₁²", x2_squared: "x₂²", x1_x2: "x₁x₂",
  sin_x1: "sin(πx₁)", sin_x2: "sin(πx₂)",
};
// Low (negative) values are blue and high (positive) ones orange, in the links and the maps:
// the colours of classes 0 and 1 (app.js), so a map's colour reads as the class it leans to.
const NEGATIVE = "#1f77b4";
const POSITIVE = "#ff7f0e";
const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const [LOW_RGB, HIGH_RGB] = [rgb(NEGATIVE), rgb(POSITIVE)];
const SVG = "http://www.w3.org/2000/svg";

const net = {
  columns: [],   // per layer (inputs, hidden…, outputs): its node canvases
  links: [],     // links[k][i][j]: the SVG path from node i of column k to node j of column k+1
  observer: null,
  signature: "",  // what the columns were built for (language, features, layers, outputs)
  weights: null,  // the weights the lines show
};

function decode(b64) { return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)); }

// Diverging colour for t in [0, 1]: blue (low), white, orange (high).
function diverging(t) {
  const s = Math.abs(2 * t - 1);
  const end = t < 0.5 ? LOW_RGB : HIGH_RGB;
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

function featureLabel(id) {
  const labels = state.options.features;
  return (labels && !Array.isArray(labels) && labels[id]) || FEATURE_LABELS[id] || id;
}

function inputFeatures() {
  const chosen = state.settings && state.settings.features;
  return Array.isArray(chosen) && chosen.length ? chosen : ["x1", "x2"];
}

function outputCount() {
  const s = state.settings;
  return state.options.datasets[s.dataset].task === "regression" ? 1 : s.classes;
}

function nodeCanvas(className) {
  const canvas = document.createElement("canvas");
  canvas.className = "node " + className;
  canvas.width = 24;
  canvas.height = 24;
  return canvas;
}

function smallButton(text, id, title, onClick) {
  const b = document.createElement("button");
  b.textContent = text;
  b.id = id;
  b.title = title;
  b.addEventListener("click", onClick);
  return b;
}

// Rebuild the columns and the lines for the settings' architecture (layers, features, outputs).
function buildNetwork(layers) {
  const signature = JSON.stringify([language, inputFeatures(), layers, outputCount()]);
  if (signature === net.signature) return;  // the same network: keep its nodes and lines
  net.signature = signature;
  $("layer-count").textContent = String(layers.length);
  $("layer-word").dataset.i18n = singular(layers.length) ? "network.hidden_layer"
    : "network.hidden_layers";
  $("layer-word").textContent = t($("layer-word").dataset.i18n);
  const biggest = Math.max(2, inputFeatures().length, outputCount(), ...layers);
  // NOTE: the tallest column stays under ~400 px: 16 neurons get 20 px squares, 8 get 32 px.
  const node = Math.max(16, Math.min(32, Math.floor(400 / biggest) - 4));
  $("network").style.setProperty("--node", `${node}px`);

  const inputNodes = fillColumn($("inputs"), t("network.inputs"), null,
    inputFeatures().map((id, index) => {
      const canvas = nodeCanvas("input");
      canvas.dataset.input = String(index);
      canvas.title = t("network.input_node", { name: featureLabel(id) });
      const row = document.createElement("div");
      row.className = "feature";
      const name = document.createElement("span");
      name.textContent = featureLabel(id);
      row.append(name, canvas);
      return [row, canvas];
    }));

  $("layers").replaceChildren();
  const hidden = layers.map((units, i) => {
    const column = document.createElement("div");
    column.className = "layer";
    $("layers").append(column);
    const count = document.createElement("span");
    count.textContent = String(units);
    const buttons = [
      smallButton("−", `remove-neuron-${i + 1}`, t("network.remove_neuron", { i: i + 1 }),
        () => changeUnits(i, -1)),
      count,
      smallButton("+", `add-neuron-${i + 1}`, t("network.add_neuron", { i: i + 1 }),
        () => changeUnits(i, +1))];
    return fillColumn(column, t("network.layer", { i: i + 1 }), buttons,
      Array.from({ length: units }, (_, j) => {
        const canvas = nodeCanvas("neuron");
        canvas.dataset.layer = String(i + 1);
        canvas.dataset.neuron = String(j);
        canvas.title = t("network.layer", { i: i + 1 });
        canvas.addEventListener("click", (e) => chooseNeuron(i + 1, j, e.shiftKey));
        canvas.tabIndex = 0;  // the keyboard too: Enter picks the x axis, shift+Enter the y axis
        canvas.addEventListener("keydown", (e) => {
          if (e.key !== "Enter" && e.key !== " ") return;
          e.preventDefault();
          chooseNeuron(i + 1, j, e.shiftKey);
        });
        return [canvas, canvas];
      }));
  });

  const outputNodes = fillColumn($("outputs"), t("network.output"), null,
    Array.from({ length: outputCount() }, (_, k) => {
      const canvas = nodeCanvas("output");
      canvas.dataset.output = String(k);
      canvas.title = t("network.output_node", { k, bias: "–" });
      return [canvas, canvas];
    }));

  net.columns = [inputNodes, ...hidden, outputNodes];
  buildLinks();
  if (!net.observer) {
    net.observer = new ResizeObserver(() => layoutLinks());
    net.observer.observe($("network-inner"));
    $("links").addEventListener("mouseover", (event) => describeLink(event.target));
  }
  layoutLinks();
}

// Fill a column: its title, a row of controls (an empty row for the inputs and outputs, so
// that every column's nodes start at the same height) and its nodes, given as [element to
// show, node canvas] pairs. Returns the node canvases.
function fillColumn(column, title, controls, nodes) {
  const head = document.createElement("div");
  head.className = "title";
  head.textContent = title;
  const row = document.createElement("div");
  row.className = "units";
  if (controls) row.append(...controls);
  const box = document.createElement("div");
  box.className = "neurons";
  box.append(...nodes.map(([shown]) => shown));
  column.replaceChildren(head, row, box);
  return nodes.map(([, canvas]) => canvas);
}

function buildLinks() {
  const svg = $("links");
  svg.replaceChildren();
  net.links = [];
  for (let k = 0; k + 1 < net.columns.length; k++) {
    const group = document.createElementNS(SVG, "g");
    const rows = net.columns[k].map((_, i) => net.columns[k + 1].map((__, j) => {
      const path = document.createElementNS(SVG, "path");
      path.setAttribute("class", "link");
      path.dataset.layer = String(k);
      path.dataset.from = String(i);
      path.dataset.to = String(j);
      group.append(path);
      return path;
    }));
    svg.append(group);
    net.links.push(rows);
  }
}

// Place every line between the right edge of its first node and the left edge of its second.
function layoutLinks() {
  const inner = $("network-inner");
  const svg = $("links");
  const origin = inner.getBoundingClientRect();
  svg.setAttribute("width", String(inner.scrollWidth));
  svg.setAttribute("height", String(inner.scrollHeight));
  const anchors = net.columns.map((nodes) => nodes.map((node) => {
    const r = node.getBoundingClientRect();
    return { left: r.left - origin.left, right: r.right - origin.left,
             y: r.top - origin.top + r.height / 2 };
  }));
  net.links.forEach((rows, k) => rows.forEach((row, i) => row.forEach((path, j) => {
    const a = anchors[k][i];
    const b = anchors[k + 1][j];
    const middle = (a.right + b.left) / 2;
    path.setAttribute("d", `M${a.right.toFixed(1)},${a.y.toFixed(1)} C${middle.toFixed(1)},` +
      `${a.y.toFixed(1)} ${middle.toFixed(1)},${b.y.toFixed(1)} ${b.left.toFixed(1)},` +
      `${b.y.toFixed(1)}`);
  })));
}

// A line's tooltip, written when the pointer reaches it: its weight and the nodes it joins.
function describeLink(path) {
  if (!path.classList.contains("link") || !net.weights) return;
  const [k, i, j] = [path.dataset.layer, path.dataset.from, path.dataset.to].map(Number);
  const w = net.weights[k] && net.weights[k].kernel[i] && net.weights[k].kernel[i][j];
  if (w === undefined) return;
  let title = path.querySelector("title");
  if (!title) {
    title = document.createElementNS(SVG, "title");
    path.append(title);
  }
  title.textContent = t("network.link", { w: w.toFixed(3), from: nodeName(k, i),
    to: nodeName(k + 1, j) });
}

// "x₁", "layer 2, neuron 3" or "output 1": node i of column k.
function nodeName(k, i) {
  if (k === 0) return featureLabel(inputFeatures()[i]);
  if (k === net.columns.length - 1) return `${t("network.output")} ${i}`;
  return `${t("network.layer", { i: k })}, ${t("network.neuron_short", { j: i })}`;
}

// Recolour the lines from the update's weights and repaint every node's heat map.
function drawNetwork(u) {
  const view = currentView();
  for (const canvas of document.querySelectorAll("canvas.neuron")) {
    const layer = Number(canvas.dataset.layer);
    const neuron = Number(canvas.dataset.neuron);
    canvas.classList.toggle("selected-x", view.layer === layer && view.x === neuron);
    canvas.classList.toggle("selected-y", view.layer === layer && view.y === neuron);
  }
  if (!u) return;
  const weights = u.weights;
  if (!weights || !fits(weights)) return;  // an update from before the last change of layers
  drawLinks(weights);
  if (u.inputs) drawMaps("canvas.node.input", (c) => [u.inputs, Number(c.dataset.input)]);
  drawMaps("canvas.neuron", (c) => [u.neurons[c.dataset.layer - 1], Number(c.dataset.neuron)],
    (c, maps, j) => t("network.neuron", { layer: c.dataset.layer, neuron: j,
      low: maps.low[j].toFixed(2), high: maps.high[j].toFixed(2),
      bias: weights[c.dataset.layer - 1].bias[j].toFixed(3) }));
  drawOutputNodes(u, weights[weights.length - 1].bias);
}

function fits(weights) {
  return weights.length === net.links.length && weights.every((w, k) =>
    w.kernel.length === net.columns[k].length &&
    w.kernel.every((row) => row.length === net.columns[k + 1].length));
}

function drawLinks(weights) {
  net.weights = weights;
  let largest = 1e-6;
  for (const w of weights) for (const row of w.kernel) for (const v of row) {
    largest = Math.max(largest, Math.abs(v));
  }
  weights.forEach((w, k) => w.kernel.forEach((row, i) => row.forEach((v, j) => {
    const path = net.links[k][i][j];
    const size = Math.abs(v) / largest;
    path.setAttribute("stroke", v >= 0 ? POSITIVE : NEGATIVE);
    path.setAttribute("stroke-width", (0.4 + 4.6 * size).toFixed(2));
    path.setAttribute("stroke-opacity", (0.25 + 0.75 * size).toFixed(2));
  })));
  $("weight-scale").textContent = t("network.legend_width", { max: largest.toPrecision(3) });
}

// Paint the nodes matching selector from the server's maps: pick(canvas) gives the layer's
// maps (size² bytes per unit, each scaled to its unit's own range) and the unit's index;
// describe(canvas, maps, index), if given, gives the node's tooltip.
function drawMaps(selector, pick, describe) {
  for (const canvas of document.querySelectorAll(selector)) {
    const [maps, j] = pick(canvas);
    if (!maps || j >= maps.low.length) continue;
    if (!maps.bytes) maps.bytes = decode(maps.maps);
    const size = maps.size;
    const offset = j * size * size;
    paint(canvas.getContext("2d"), size, (i) => diverging(maps.bytes[offset + i] / 255),
      canvas.width, canvas.height);
    if (describe) canvas.title = describe(canvas, maps, j);
  }
}

// An output node: for a class, where the network picks it (shaded by its confidence); for a
// regression, the predicted value.
function drawOutputNodes(u, bias) {
  const grid = u.grid;
  if (!grid) return;
  if (!grid.bytes) {
    grid.bytes = grid.kind === "class" ? [decode(grid.class), decode(grid.confidence)]
      : [decode(grid.value)];
  }
  for (const canvas of document.querySelectorAll("canvas.node.output")) {
    const k = Number(canvas.dataset.output);
    const ctx = canvas.getContext("2d");
    if (grid.kind === "class") {
      const [cls, conf] = grid.bytes;
      paint(ctx, grid.size, (i) => {
        const a = cls[i] === k ? 0.25 + 0.75 * (conf[i] / 255) : 0;
        return RGB[k % RGB.length].map((c) => Math.round(255 + (c - 255) * a));
      }, canvas.width, canvas.height);
    } else {
      paint(ctx, grid.size, (i) => diverging(grid.bytes[0][i] / 255), canvas.width,
        canvas.height);
    }
    if (k < bias.length) canvas.title = t("network.output_node", { k, bias: bias[k].toFixed(3) });
  }
}
