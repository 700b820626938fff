// profond playground: the page's texts in French (the default, like the courses and the docs)
// and English.
//
// - An element with data-i18n="key" gets TEXTS[lang][key] as its text; data-i18n-title="key"
//   sets its tooltip instead, data-i18n-aria="key" its aria-label (what a screen reader says).
// - HELP[id] explains the control with that id: it becomes the control's tooltip and a help line
//   (shown when the "Help" button is on: a phone has no hover): inside the control's label or
//   fieldset in a panel, or, for the header's controls, in the list #help-list under it.
// - t(key, values) is for texts the script builds: "{n}" in a text is replaced by values.n.
// The language comes from ?lang=fr|en in the address, else the last choice (localStorage),
// else French.
"use strict";

const LANGUAGES = ["fr", "en"];

const TEXTS = {
  fr: {
    "page.title": "profond — terrain de jeu",
    "header.sub": "terrain de jeu",
    "nav.networks": "réseaux",
    "nav.maze": "labyrinthe",
    "run.reset": "Réinitialiser",
    "run.play": "Lancer",
    "run.pause": "Pause",
    "run.one_step": "Un pas",
    "run.one_epoch": "Une époque",
    "run.speed": "Vitesse",
    "speed.slow": "lente",
    "speed.fast": "rapide",
    "numbers.epoch": "Époque",
    "numbers.steps": "Pas",
    "numbers.train_loss": "Perte (entraînement)",
    "numbers.test_loss": "Perte (test)",
    "numbers.test_accuracy": "Exactitude (test)",
    "status.connecting": "connexion…",
    "status.connected": "connecté",
    "status.disconnected": "déconnecté : rechargez la page",
    "help.toggle": "Aide",
    "data.title": "Données",
    "data.dataset": "Jeu de données",
    "data.classes": "Classes",
    "data.points": "Points",
    "data.noise": "Bruit",
    "data.train_ratio": "Part d'entraînement",
    "data.regenerate": "Nouveaux points",
    "data.count": "{n} points : {train} d'entraînement, {test} de test",
    "data.edit": "Modifier les points",
    "data.add": "ajouter",
    "data.remove": "supprimer",
    "data.class": "Classe",
    "data.value": "Valeur",
    "data.class_k": "classe {k}",
    "data.edit_hint": "Cliquez sur le plan pour ajouter un point ; maj-clic pour la classe " +
      "suivante (ou la valeur opposée) ; clic droit (ou mode supprimer) efface le point le " +
      "plus proche.",
    "data.show_test": "afficher les points de test",
    "data.regression": "{name} (régression)",
    "network.title": "Réseau",
    "network.hidden_layers": "couches cachées",
    "network.hidden_layer": "couche cachée",
    "network.layer": "couche {i}",
    "network.inputs": "entrées",
    "network.output": "sortie",
    "network.neuron": "couche {layer}, neurone {neuron} : {low} … {high}, biais {bias}",
    "network.input_node": "entrée {name}",
    "network.output_node": "sortie {k}, biais {bias}",
    "network.hint": "Chaque carré : la sortie d'un neurone sur le plan, du bleu (sa plus basse) " +
      "à l'orange (sa plus haute). Cliquez-en un pour voir sa couche dans l'espace transformé " +
      "(maj-clic : axe vertical) ; survolez un trait pour lire son poids.",
    "network.legend_negative": "poids négatif",
    "network.legend_positive": "poids positif",
    "network.legend_width": "épaisseur ∝ |w| (la plus épaisse : |w| = {max})",
    "network.link": "w = {w} : {from} → {to}",
    "network.neuron_short": "neurone {j}",
    "network.activation": "Activation",
    "network.loss": "Perte",
    "network.optimizer": "Optimiseur",
    "network.batch_size": "Taille du lot",
    "network.learning_rate": "Taux d'apprentissage",
    "network.add_neuron": "Ajouter un neurone à la couche {i}",
    "network.remove_neuron": "Retirer un neurone de la couche {i}",
    "loss.crossentropy": "entropie croisée",
    "loss.mse": "erreur quadratique moyenne",
    "loss.mae": "erreur absolue moyenne",
    "loss.huber": "Huber",
    "dataset.circles": "cercles",
    "dataset.xor": "ou exclusif (xor)",
    "dataset.gaussians": "gaussiennes",
    "dataset.spiral": "spirale",
    "dataset.moons": "lunes",
    "dataset.plane": "plan",
    "dataset.wave": "vague",
    "output.title": "Sortie",
    "output.plane": "Régions de décision et points des données",
    "output.curves": "Courbes de la perte",
    "output.train_loss": "perte d'entraînement",
    "output.test_loss": "perte de test",
    "output.max": "max {value}",
    "output.epoch": "époque {n}",
    "transform.title": "Espace transformé",
    "transform.canvas": "Le plan vu par deux neurones",
    "transform.layer": "Couche",
    "transform.x": "x : neurone",
    "transform.y": "y : neurone",
    "transform.input": "entrée",
    "transform.hidden": "cachée {i}",
    "transform.input_plane": "plan d'entrée",
    "transform.hidden_layer": "couche cachée {i}",
    "transform.caption": "{name} : neurone {x} → x, neurone {y} → y",
    "export.title": "Exporter",
    "export.profond": "Modèle (.profond)",
    "export.python": "Code Python",
    "data.features": "Entrées du réseau",
    "warning.diverged": "La perte a divergé (NaN ou infinie) : le taux d'apprentissage est " +
      "trop grand. Essayez {learning_rate}, puis réinitialisez.",
    "warning.exploding": "La perte explose ({loss} ; elle valait {first} avant " +
      "l'entraînement). Essayez un taux d'apprentissage plus petit ({learning_rate}), puis " +
      "réinitialisez.",
    "warning.dead": "{dead} des {total} neurones ReLU ne s'activent sur aucun point " +
      "d'entraînement (ReLU mortes : elles n'apprennent plus). Essayez un taux d'apprentissage " +
      "plus petit ({learning_rate}), puis réinitialisez.",
    "warning.stalled": "L'entraînement stagne : la perte n'a pas baissé depuis {epochs} " +
      "époques. Essayez un taux d'apprentissage plus petit ({learning_rate}), puis " +
      "réinitialisez, ou un réseau plus grand.",
    "warning.fix": "Prendre {learning_rate} et réinitialiser",
  },
  en: {
    "page.title": "profond playground",
    "header.sub": "playground",
    "nav.networks": "networks",
    "nav.maze": "maze",
    "run.reset": "Reset",
    "run.play": "Play",
    "run.pause": "Pause",
    "run.one_step": "One step",
    "run.one_epoch": "One epoch",
    "run.speed": "Speed",
    "speed.slow": "slow",
    "speed.fast": "fast",
    "numbers.epoch": "Epoch",
    "numbers.steps": "Steps",
    "numbers.train_loss": "Train loss",
    "numbers.test_loss": "Test loss",
    "numbers.test_accuracy": "Test accuracy",
    "status.connecting": "connecting…",
    "status.connected": "connected",
    "status.disconnected": "disconnected: reload the page",
    "help.toggle": "Help",
    "data.title": "Data",
    "data.dataset": "Data set",
    "data.classes": "Classes",
    "data.points": "Points",
    "data.noise": "Noise",
    "data.train_ratio": "Training share",
    "data.regenerate": "New points",
    "data.count": "{n} points: {train} train, {test} test",
    "data.edit": "Edit points",
    "data.add": "add",
    "data.remove": "remove",
    "data.class": "Class",
    "data.value": "Value",
    "data.class_k": "class {k}",
    "data.edit_hint": "Click the plane to add a point; shift-click for the next class (or the " +
      "opposite value); right-click (or remove mode) deletes the nearest point.",
    "data.show_test": "show test points",
    "data.regression": "{name} (regression)",
    "network.title": "Network",
    "network.hidden_layers": "hidden layers",
    "network.hidden_layer": "hidden layer",
    "network.layer": "layer {i}",
    "network.inputs": "inputs",
    "network.output": "output",
    "network.neuron": "layer {layer}, neuron {neuron}: {low} … {high}, bias {bias}",
    "network.input_node": "input {name}",
    "network.output_node": "output {k}, bias {bias}",
    "network.hint": "Each square: one neuron's output over the plane, from blue (its lowest) to " +
      "orange (its highest). Click one to see its layer in the transformed space (shift-click: " +
      "vertical axis); point at a line to read its weight.",
    "network.legend_negative": "negative weight",
    "network.legend_positive": "positive weight",
    "network.legend_width": "width ∝ |w| (thickest: |w| = {max})",
    "network.link": "w = {w}: {from} → {to}",
    "network.neuron_short": "neuron {j}",
    "network.activation": "Activation",
    "network.loss": "Loss",
    "network.optimizer": "Optimizer",
    "network.batch_size": "Batch size",
    "network.learning_rate": "Learning rate",
    "network.add_neuron": "Add a neuron to layer {i}",
    "network.remove_neuron": "Remove a neuron from layer {i}",
    "loss.crossentropy": "cross-entropy",
    "loss.mse": "mean squared error",
    "loss.mae": "mean absolute error",
    "loss.huber": "Huber",
    "dataset.circles": "circles",
    "dataset.xor": "xor",
    "dataset.gaussians": "gaussians",
    "dataset.spiral": "spiral",
    "dataset.moons": "moons",
    "dataset.plane": "plane",
    "dataset.wave": "wave",
    "output.title": "Output",
    "output.plane": "Decision regions and data points",
    "output.curves": "Loss curves",
    "output.train_loss": "train loss",
    "output.test_loss": "test loss",
    "output.max": "max {value}",
    "output.epoch": "epoch {n}",
    "transform.title": "Transformed space",
    "transform.canvas": "The plane seen by two neurons",
    "transform.layer": "Layer",
    "transform.x": "x: neuron",
    "transform.y": "y: neuron",
    "transform.input": "input",
    "transform.hidden": "hidden {i}",
    "transform.input_plane": "input plane",
    "transform.hidden_layer": "hidden layer {i}",
    "transform.caption": "{name}: neuron {x} → x, neuron {y} → y",
    "export.title": "Export",
    "export.profond": "Model (.profond)",
    "export.python": "Python code",
    "data.features": "Features",
    "warning.diverged": "The loss diverged (NaN or infinite): the learning rate is too " +
      "high. Try {learning_rate}, then reset.",
    "warning.exploding": "The loss is exploding ({loss}; it was {first} before training). " +
      "Try a lower learning rate ({learning_rate}), then reset.",
    "warning.dead": "{dead} of the {total} ReLU units never fire on the training points " +
      "(dead ReLUs: they no longer learn). Try a lower learning rate ({learning_rate}), then " +
      "reset.",
    "warning.stalled": "Training has stalled: the loss has not fallen in {epochs} epochs. " +
      "Try a lower learning rate ({learning_rate}), then reset, or a larger network.",
    "warning.fix": "Use {learning_rate} and reset",
  },
};

// Control id → [French, English]: what the control does, in a sentence or two.
const HELP = {
  reset: ["Nouveaux poids initiaux tirés au hasard ; les données restent les mêmes.",
    "New random initial weights; the data stay the same."],
  play: ["Lance ou met en pause l'entraînement (descente de gradient par mini-lots).",
    "Starts or pauses training (mini-batch gradient descent)."],
  "one-step": ["Un seul pas de gradient, sur un mini-lot : regardez les poids bouger.",
    "A single gradient step, on one mini-batch: watch the weights move."],
  step: ["Une époque : autant de pas qu'il en faut pour voir chaque point d'entraînement " +
    "une fois.",
    "One epoch: as many steps as it takes to see every training point once."],
  speed: ["Lente : un pas par quart de seconde, pour suivre chaque mise à jour. Rapide : au " +
    "plus vite.", "Slow: one step every quarter second, to follow each update. Fast: as fast " +
    "as the server can."],
  dataset: ["Le problème à apprendre : des points du plan et leur classe (ou leur valeur, en " +
    "régression).", "The problem to learn: points of the plane and their class (or their " +
    "value, for regression)."],
  classes: ["Nombre de classes à séparer.", "How many classes to separate."],
  "n-samples": ["Nombre de points tirés (entraînement et test ensemble).",
    "How many points are drawn (training and test together)."],
  noise: ["Bruit ajouté aux points : plus il y en a, plus les classes se mélangent.",
    "Noise added to the points: the more, the more the classes overlap."],
  "train-ratio": ["Part des points qui sert à l'entraînement ; le reste mesure la " +
    "généralisation (test).", "Share of the points used for training; the rest measures " +
    "generalisation (test)."],
  features: ["Les grandeurs calculées à partir du point (x₁, x₂) que reçoit le réseau : avec " +
    "x₁² et x₂², un seul neurone sépare déjà les cercles.", "The quantities computed from the " +
    "point (x₁, x₂) that the network receives: with x₁² and x₂², one neuron alone separates " +
    "the circles."],
  "mode-add": ["Un clic sur le plan ajoute un point d'entraînement.",
    "A click on the plane adds a training point."],
  "mode-remove": ["Un clic sur le plan efface le point le plus proche.",
    "A click on the plane deletes the nearest point."],
  regenerate: ["Tire de nouveaux points avec les mêmes réglages.",
    "Draws new points with the same settings."],
  brush: ["La classe (ou la valeur) des points ajoutés d'un clic.",
    "The class (or value) of the points a click adds."],
  "show-test": ["Montre ou cache les points de test (cerclés de noir).",
    "Shows or hides the test points (ringed in black)."],
  "add-layer": ["Ajoute une couche cachée.", "Adds a hidden layer."],
  "remove-layer": ["Retire la dernière couche cachée.", "Removes the last hidden layer."],
  activation: ["La fonction g appliquée par chaque neurone caché à b + xᵀw.",
    "The function g each hidden neuron applies to b + xᵀw."],
  loss: ["La fonction de coût J(W) que l'optimiseur fait baisser.",
    "The cost function J(W) the optimizer lowers."],
  optimizer: ["La règle de mise à jour des poids à partir du gradient.",
    "The rule that updates the weights from the gradient."],
  "batch-size": ["Nombre de points par pas de gradient (mini-lot).",
    "How many points each gradient step uses (mini-batch)."],
  "learning-rate": ["Taille des pas de gradient (échelle logarithmique) : trop grand, la perte " +
    "diverge ; trop petit, elle stagne.", "Size of the gradient steps (log scale): too large " +
    "and the loss diverges, too small and it stalls."],
  l1: ["Pénalité L1 sur les poids : pousse les poids inutiles vers zéro.",
    "L1 penalty on the weights: pushes useless weights to zero."],
  l2: ["Pénalité L2 sur les poids (décroissance des poids) : contre le sur-apprentissage.",
    "L2 penalty on the weights (weight decay): against overfitting."],
  "transform-layer": ["La couche dont on regarde l'espace : comment elle a déformé le plan.",
    "The layer whose space is shown: how it has bent the plane."],
  "transform-x": ["Le neurone dont la sortie donne l'axe horizontal.",
    "The neuron whose output gives the horizontal axis."],
  "transform-y": ["Le neurone dont la sortie donne l'axe vertical.",
    "The neuron whose output gives the vertical axis."],
  "export-profond": ["Télécharge le modèle entraîné (à recharger avec load_model).",
    "Downloads the trained model (load it back with load_model)."],
  "export-python": ["Le code Python qui refait cet entraînement.",
    "The Python code that reruns this training."],
};

function chooseLanguage() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (LANGUAGES.includes(asked)) return asked;
  let saved = null;
  try { saved = localStorage.getItem("profond.lang"); } catch (e) { /* storage off */ }
  return LANGUAGES.includes(saved) ? saved : "fr";
}

let language = chooseLanguage();

// Whether a count n takes the singular: 0 and 1 in French, 1 in English.
function singular(n) { return n === 1 || (n === 0 && language === "fr"); }

// The text for key in the current language, with {name} replaced by values.name.
function t(key, values) {
  const text = TEXTS[language][key] ?? TEXTS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    (values && name in values ? String(values[name]) : whole));
}

// Put every static text of the page in the current language, and each control's help.
function translatePage() {
  document.documentElement.lang = language;
  document.title = t("page.title");
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-title]")) {
    el.title = t(el.dataset.i18nTitle);
  }
  for (const el of document.querySelectorAll("[data-i18n-aria]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAria));
  }
  const index = language === "fr" ? 0 : 1;
  const list = document.getElementById("help-list");
  const items = [];
  for (const [id, texts] of Object.entries(HELP)) {
    const control = document.getElementById(id);
    if (!control) continue;
    control.title = texts[index];
    const host = control.closest(".panel label, .panel fieldset");  // header: in the list
    if (host) {
      let line = host.querySelector(`small.help[data-for="${id}"]`);
      if (!line) {
        line = document.createElement("small");
        line.className = "help";
        line.dataset.for = id;
        host.append(line);
      }
      line.textContent = texts[index];
    } else if (list) {
      const name = document.createElement("dt");
      const label = control.closest("label");
      name.textContent = label ? label.querySelector("[data-i18n]").textContent
        : control.textContent.trim();
      const what = document.createElement("dd");
      what.textContent = texts[index];
      items.push(name, what);
    }
  }
  if (list) list.replaceChildren(...items);
  for (const code of LANGUAGES) {
    const button = document.getElementById("lang-" + code);
    if (button) button.setAttribute("aria-pressed", String(code === language));
  }
}

const languageListeners = [];

// Switch the page to lang (remembered for the next visit) and tell the listeners (app.js
// rebuilds the texts it writes itself).
function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) return;
  language = lang;
  try { localStorage.setItem("profond.lang", lang); } catch (e) { /* storage off */ }
  translatePage();
  for (const listener of languageListeners) listener(lang);
}

function wireLanguage() {
  for (const code of LANGUAGES) {
    const button = document.getElementById("lang-" + code);
    if (button) button.addEventListener("click", () => setLanguage(code));
  }
  const help = document.getElementById("help-toggle");
  if (help) {
    help.addEventListener("click", () => {
      const on = document.body.classList.toggle("show-help");
      help.setAttribute("aria-pressed", String(on));
    });
  }
  translatePage();
}
