// profond playground, the maze page. The user paints a maze; the server trains profond's
// Q-learning on it and sends, several times a second, each cell's value and greedy action, the
// robot's path and the return of each episode; this page draws them. The server is the source
// of truth: after each change it echoes the maze and the settings.
// No eval, no innerHTML with data: text goes in through textContent only.
"use strict";

const ARROWS = ["↑", "→", "↓", "←"];  // actions 0…3: up, right, down, left
const KINDS = { "#": "wall", T: "trap", E: "exit", S: "start", ".": "free" };
const RANGES = {  // setting → [input id, text of its value]
  learning_rate: ["learning-rate", (v) => v.toFixed(2)],
  gamma: ["gamma", (v) => v.toFixed(3)],
  epsilon: ["epsilon", (v) => v.toFixed(2)],
  slippery: ["slippery", (v) => v.toFixed(2)],
};

const $ = (id) => document.getElementById(id);

const state = {
  socket: null,
  options: null,
  settings: null,
  rows: [],            // the maze, one string per row (as the server last echoed it, or drawn)
  generation: -1,      // of the maze and agent the updates belong to
  update: null,
  playing: false,
  drawing: false,      // a stroke is in progress
  changed: false,      // the stroke changed a cell
};

// ------------------------------------------------------------------------------------------
// Connection
// ------------------------------------------------------------------------------------------
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/maze`);
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
  maze(m) {
    state.generation = m.generation;
    state.rows = m.maze.split("\n");
    state.update = null;
    for (const [id, text] of [["maze-error", m.error], ["maze-warning", m.warning]]) {
      $(id).textContent = text || "";
      $(id).hidden = !text;
    }
    $("play").disabled = $("step").disabled = Boolean(m.error);
    $("rows").value = String(m.rows);
    $("columns").value = String(m.columns);
    const preset = Object.entries(state.options.presets).find(([, text]) => text === m.maze);
    $("preset").value = preset ? preset[0] : "";
    buildMaze();
  },
  update(m) {
    if (m.generation !== state.generation) return;  // from an older maze or agent
    state.update = m;
    showNumbers(m);
    drawMaze();
    drawReturns();
  },
  state(m) { setPlaying(m.playing); },
  error(m) { toast(m.message); },
};

function setPlaying(playing) {
  state.playing = playing;
  $("play").textContent = playing ? "Pause" : "Play";
}

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
  fillSelect($("preset"), [["", "— your drawing —"],
    ...Object.keys(o.presets).map((name) => [name, name])]);
  const sides = [];
  for (let k = o.min_side; k <= o.max_side; k++) sides.push([k, String(k)]);
  fillSelect($("rows"), sides);
  fillSelect($("columns"), sides);
  for (const [key, [id]] of Object.entries(RANGES)) {  // the server's bounds
    [$(id).min, $(id).max] = o.schema[key].map(String);
  }
  const r = o.rewards;
  $("returns-caption").textContent = `Return G = Σ r of each episode: ${signed(r.exit)} at ` +
    `the exit, ${signed(r.trap)} in a trap, ${signed(r.step)} a step.`;
}

function signed(x) { return x > 0 ? `+${x}` : String(x).replace("-", "−"); }

function applySettings(s) {
  state.settings = s;
  for (const [key, [id, text]] of Object.entries(RANGES)) {
    $(id).value = String(s[key]);
    $(id + "-value").textContent = text(s[key]);
  }
  $("speed").value = s.speed;
  $("agent").value = s.agent;
  $("formula-qlearning").hidden = s.agent !== "qlearning";
  $("formula-sarsa").hidden = s.agent !== "sarsa";
}

function sendSettings(changes) { send({ type: "settings", settings: changes }); }

function sendMaze(rows) { send({ type: "maze", maze: rows.join("\n") }); }

function wireControls() {
  $("play").addEventListener("click", () => send({ type: state.playing ? "pause" : "play" }));
  $("step").addEventListener("click", () => send({ type: "step" }));
  $("reset").addEventListener("click", () => send({ type: "reset" }));
  $("speed").addEventListener("change", () => sendSettings({ speed: $("speed").value }));
  $("agent").addEventListener("change", () => sendSettings({ agent: $("agent").value }));
  for (const [key, [id, text]] of Object.entries(RANGES)) {
    const input = $(id);
    input.addEventListener("input", () => {
      $(id + "-value").textContent = text(parseFloat(input.value));
    });
    input.addEventListener("change", () => sendSettings({ [key]: parseFloat(input.value) }));
  }
  $("preset").addEventListener("change", () => {
    const text = state.options.presets[$("preset").value];
    if (text) send({ type: "maze", maze: text });
  });
  for (const id of ["rows", "columns"]) {
    $(id).addEventListener("change", () => sendMaze(resized(
      parseInt($("rows").value, 10), parseInt($("columns").value, 10))));
  }
  $("clear").addEventListener("click", () => sendMaze(empty(state.rows.length,
    state.rows[0].length)));
  for (const id of ["show-values", "show-arrows", "show-path", "show-off"]) {
    $(id).addEventListener("change", drawMaze);
  }
}

function empty(rows, columns) {
  const grid = Array.from({ length: rows }, () => ".".repeat(columns));
  grid[0] = "S" + grid[0].slice(1);
  grid[rows - 1] = grid[rows - 1].slice(0, -1) + "E";
  return grid;
}

function resized(rows, columns) {
  // The current maze cut or padded with free cells; a start or exit cut off is put back.
  const grid = Array.from({ length: rows }, (_, r) => Array.from({ length: columns },
    (_, c) => (state.rows[r] && state.rows[r][c]) || "."));
  const flat = grid.flat();
  if (!flat.includes("S")) grid[0][0] = "S";
  if (!flat.includes("E")) grid[rows - 1][columns - 1] = "E";
  return grid.map((row) => row.join(""));
}

// ------------------------------------------------------------------------------------------
// The maze: painting
// ------------------------------------------------------------------------------------------
function tool() { return document.querySelector("input[name=tool]:checked").value; }

function paint(cell) {
  const index = parseInt(cell.dataset.index, 10);
  const columns = state.rows[0].length;
  const r = Math.floor(index / columns), c = index % columns;
  const kind = tool();
  if (state.rows[r][c] === kind) return;
  if (kind === "S") {  // one start: the old one becomes a free cell
    state.rows = state.rows.map((row) => row.replace("S", "."));
  }
  state.rows[r] = state.rows[r].slice(0, c) + kind + state.rows[r].slice(c + 1);
  state.changed = true;
  state.update = null;  // what was learned belongs to the old maze
  buildMaze();
}

function cellAt(event) {
  const el = document.elementFromPoint(event.clientX, event.clientY);
  return el && el.closest ? el.closest("#maze .cell") : null;
}

function wirePainting() {
  const maze = $("maze");
  maze.addEventListener("pointerdown", (event) => {
    const cell = cellAt(event);
    if (!cell || event.button !== 0) return;
    event.preventDefault();
    state.drawing = true;
    state.changed = false;
    paint(cell);
  });
  maze.addEventListener("pointermove", (event) => {
    if (!state.drawing) return;
    const cell = cellAt(event);
    if (cell) paint(cell);
  });
  const end = () => {
    if (!state.drawing) return;
    state.drawing = false;
    if (state.changed) sendMaze(state.rows);  // one message a stroke
  };
  window.addEventListener("pointerup", end);
  window.addEventListener("pointercancel", end);
}

// ------------------------------------------------------------------------------------------
// The maze: drawing what the server sends
// ------------------------------------------------------------------------------------------
function buildMaze() {
  const maze = $("maze");
  const columns = state.rows[0].length;
  maze.style.gridTemplateColumns = `repeat(${columns}, var(--cell))`;
  maze.style.setProperty("--cell", `${Math.floor(Math.min(64, 440 / Math.max(columns,
    state.rows.length)))}px`);
  const cells = [];
  state.rows.forEach((row, r) => [...row].forEach((char, c) => {
    const cell = document.createElement("div");
    cell.className = `cell ${KINDS[char]}`;
    cell.dataset.index = String(r * columns + c);
    cell.dataset.kind = KINDS[char];
    const arrow = document.createElement("span");
    arrow.className = "arrow";
    cell.append(arrow);
    cells.push(cell);
  }));
  maze.replaceChildren(...cells);
  drawMaze();
}

function heat(value) {
  // Red for V < 0, green for V > 0, white at 0; full colour at |V| ≥ 1 (the exit's reward).
  const t = Math.min(1, Math.abs(value));
  const [r, g, b] = value >= 0 ? [44, 160, 44] : [214, 39, 40];
  const mix = (x) => Math.round(255 + (x - 255) * t);
  return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
}

function drawMaze() {
  const m = state.update;
  const showValues = $("show-values").checked, showArrows = $("show-arrows").checked;
  const showPath = $("show-path").checked;
  const path = new Set(m && showPath ? m.path : []);
  const trail = new Set(m && showPath ? m.last_path : []);
  const off = new Set(m && m.optimal && $("show-off").checked ? m.optimal.off : []);
  const robot = m && m.path.length ? m.path[m.path.length - 1] : -1;
  for (const cell of $("maze").children) {
    const i = parseInt(cell.dataset.index, 10);
    const value = m && m.values ? m.values[i] : null;
    const action = m && m.policy ? m.policy[i] : -1;
    const acting = cell.dataset.kind === "free" || cell.dataset.kind === "start";
    cell.style.backgroundColor = acting && showValues && value !== null ? heat(value) : "";
    cell.dataset.value = value === null ? "" : String(value);
    cell.title = value === null ? cell.dataset.kind : `V = ${value.toFixed(3)}` +
      (action >= 0 ? `, greedy: ${state.options.actions[action]}` : "");
    cell.firstChild.textContent = acting && showArrows && action >= 0 ? ARROWS[action] : "";
    cell.classList.toggle("path", path.has(i));
    cell.classList.toggle("trail", !path.has(i) && trail.has(i));
    cell.classList.toggle("robot", i === robot);
    cell.classList.toggle("off", off.has(i));
  }
}

function showNumbers(m) {
  $("episodes").textContent = String(m.episodes);
  $("steps").textContent = String(m.steps);
  $("last-return").textContent = m.last_return === null ? "–" : m.last_return.toFixed(2);
  $("optimal").textContent = m.optimal ? `${m.optimal.agree} / ${m.optimal.cells}` : "–";
}

// ------------------------------------------------------------------------------------------
// The returns chart
// ------------------------------------------------------------------------------------------
function drawReturns() {
  const canvas = $("returns");
  const ctx = canvas.getContext("2d");
  const m = state.update;
  const points = m ? m.returns : [];
  canvas.dataset.points = String(points.length);
  canvas.dataset.episodes = String(m ? m.episodes : 0);
  const W = canvas.width, H = canvas.height, pad = 22;
  ctx.clearRect(0, 0, W, H);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#666";
  if (!points.length) {
    ctx.fillText("no episode finished yet", pad, H / 2);
    return;
  }
  const low = Math.min(-1, ...points), high = Math.max(1, ...points);
  const x = (i) => pad + (points.length === 1 ? 0 : i / (points.length - 1)) * (W - 2 * pad);
  const y = (v) => H - pad - (v - low) / (high - low) * (H - 2 * pad);
  ctx.strokeStyle = "#ccc";
  ctx.beginPath();
  ctx.moveTo(pad, y(0));
  ctx.lineTo(W - pad, y(0));
  ctx.stroke();
  ctx.fillText(high.toFixed(1), 0, y(high) + 4);
  ctx.fillText("0", 8, y(0) + 4);
  ctx.fillText(low.toFixed(1), 0, y(low) + 4);
  ctx.fillText(`episodes 1–${m.episodes}` + (m.returns_every > 1 ?
    ` (means of ${m.returns_every})` : ""), pad, H - 5);
  ctx.strokeStyle = "#0877bd";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  points.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
  ctx.stroke();
  if (points.length === 1) ctx.fillRect(x(0) - 2, y(points[0]) - 2, 4, 4);
}

wireControls();
wirePainting();
connect();
