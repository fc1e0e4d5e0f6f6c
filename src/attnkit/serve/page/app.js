// The page: one tab per served model, each shown by its pipeline's view.
import {getJSON} from "./api.js";
import {el, showError} from "./dom.js";
import {datesView} from "./dates.js";
import {moleculesView} from "./molecules.js";
import {reviewsView} from "./reviews.js";

const VIEWS = {dates: datesView, reviews: reviewsView, molecules: moleculesView};

function describe(model) {
  const measured = Object.entries(model.measured || {})
    .filter(([, value]) => typeof value === "number")
    .map(([name, value]) => `${name.replaceAll("_", " ")} ${value}`);
  return el("p", {class: "note"}, model.description,
            measured.length ? [el("br"), `Measured: ${measured.join(", ")}.`] : null);
}

function show(models, name) {
  const model = models.find((candidate) => candidate.name === name) || models[0];
  for (const tab of document.querySelectorAll("#models button")) {
    tab.setAttribute("aria-selected", String(tab.dataset.model === model.name));
  }
  const view = document.getElementById("view");
  view.replaceChildren();
  view.dataset.model = model.name;
  view.dataset.view = model.view;
  const body = el("section", {class: `view view-${model.view}`});
  view.append(el("h2", {}, `${model.name} `, el("small", {class: "note"}, `(${model.pipeline})`)),
              describe(model), body);
  VIEWS[model.view](body, model);
}

async function start() {
  const view = document.getElementById("view");
  let models;
  try {
    models = (await getJSON("/api/models")).models;
  } catch (error) {
    showError(view, `Cannot list the models: ${error.message}`);
    return;
  }
  if (!models.length) {
    showError(view, "This server serves no models.");
    return;
  }
  const nav = document.getElementById("models");
  for (const model of models) {
    nav.append(el("button", {type: "button", role: "tab", "data-model": model.name,
                             onclick: () => { location.hash = model.name; }}, model.name));
  }
  const chosen = () => decodeURIComponent(location.hash.slice(1));
  window.addEventListener("hashchange", () => show(models, chosen()));
  show(models, chosen());
}

start();
