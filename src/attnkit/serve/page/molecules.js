// The molecules view (any image-to-text model): upload an image or pick an example; see the
// SMILES, whether it parses, the confidence and RDKit's drawing of it beside the input. A step
// control moves through the output tokens, overlaying each one's attention on the image.
import {authorized, getJSON, imageURL, predictImages} from "./api.js";
import {el, facts, showError} from "./dom.js";
import {legend, strength} from "./scale.js";

const SIDE = 384;  // pixels of the drawn canvas

export function moleculesView(container, model) {
  const file = el("input", {type: "file", id: "molecule-file", accept: "image/*"});
  const examples = el("select", {id: "molecule-example", "aria-label": "example"},
                      el("option", {value: ""}, "\u2026or pick an example"));
  const result = el("div", {class: "result", id: "molecule-result", "aria-live": "polite"});
  file.addEventListener("change", () => {
    if (file.files.length) read(model, file.files[0], result);
  });
  examples.addEventListener("change", async () => {
    if (!examples.value) return;
    const response = await fetch(examples.value, authorized());
    const blob = await response.blob();
    read(model, new File([blob], `${examples.selectedOptions[0].textContent}.png`,
                         {type: "image/png"}), result);
  });
  container.append(el("form", {onsubmit: (event) => event.preventDefault()},
                      el("label", {}, "Image of a molecule: ", file), examples), result);
  getJSON(`/api/${encodeURIComponent(model.name)}/examples`).then(({examples: listed}) => {
    for (const example of listed) examples.append(el("option", {value: example.image}, example.name));
    examples.hidden = listed.length === 0;
  }).catch(() => { examples.hidden = true; });
}

async function read(model, blob, result) {
  result.replaceChildren(el("p", {class: "note"}, "Reading\u2026"));
  try {
    const [[answer], image] = await Promise.all([predictImages(model.name, [blob]), picture(blob)]);
    result.replaceChildren(...render(answer, image));
  } catch (error) {
    showError(result, error.message);
  }
}

function picture(blob) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error("the browser cannot show this image"));
    image.src = URL.createObjectURL(blob);
  });
}

function render(answer, image) {
  const tokens = answer.output_tokens;
  const canvas = el("canvas", {id: "molecule-canvas", width: SIDE, height: SIDE});
  const written = el("div", {class: "smiles", id: "molecule-tokens"},
                     tokens.map((token, step) => el("span", {"data-step": step}, token)));
  const step = el("input", {type: "range", id: "molecule-step", min: 0, value: 0,
                            max: Math.max(tokens.length - 1, 0), disabled: tokens.length === 0,
                            "aria-label": "output token"});
  const label = el("span", {id: "molecule-step-label"});
  const show = (index) => {
    step.value = index;
    draw(canvas, image, answer, tokens.length ? index : null);
    for (const span of written.children) span.classList.toggle("current", Number(span.dataset.step) === index);
    label.textContent = tokens.length ? `token ${index + 1} of ${tokens.length}: ${tokens[index]}` : "no output";
  };
  step.addEventListener("input", () => show(Number(step.value)));
  const move = (by) => show(Math.min(Math.max(Number(step.value) + by, 0), tokens.length - 1));
  show(0);
  const isMolecule = answer.valid !== undefined;
  const drawing = !isMolecule ? null : answer.valid
    ? el("img", {class: "drawing", id: "molecule-drawing", alt: `RDKit's drawing of ${answer.output}`})
    : el("p", {class: "error", id: "molecule-drawing"}, "RDKit cannot parse this SMILES: nothing to draw.");
  if (drawing && answer.valid) {  // fetched, not linked: a server with a token needs it sent
    imageURL(`/api/drawing.svg?smiles=${encodeURIComponent(answer.canonical_smiles)}`)
      .then((url) => { drawing.src = url; }).catch(() => { drawing.alt = "no drawing"; });
  }
  // OSRA's answer (a server with --fallback osra) has no probability; the model's output is named
  const probability = answer.probability === null ? "\u2014" : answer.probability.toFixed(4);
  const known = isMolecule
    ? [["SMILES", answer.output], ["parses", answer.valid ? "yes" : "no"],
       ["canonical", answer.canonical_smiles || "\u2014"], ["probability", probability]]
    : [["output", answer.output], ["probability", probability]];
  if (answer.read_by === "osra") known.push(["read by", `OSRA (unsure, the model read ${answer.model_output})`]);
  return [
    el("div", {id: "molecule-facts"}, facts(known)),
    el("div", {class: "pictures"},
       el("figure", {}, canvas, el("figcaption", {class: "note"}, "Input, with the attention of the chosen token")),
       drawing && el("figure", {}, drawing, el("figcaption", {class: "note"}, "RDKit's drawing of the answer"))),
    el("div", {class: "steps"},
       el("button", {type: "button", onclick: () => move(-1)}, "\u2190"), step,
       el("button", {type: "button", onclick: () => move(1)}, "\u2192"), label),
    written,
    answer.attention ? legend(answer.grid_size * answer.grid_size, "grid cell") : null];
}

function draw(canvas, image, answer, step) {
  const context = canvas.getContext("2d");
  const {size, scale, left, top, width, height, crop_left: cropLeft = 0, crop_top: cropTop = 0} = answer.canvas;
  const factor = SIDE / size;
  context.fillStyle = "#fff";
  context.fillRect(0, 0, SIDE, SIDE);
  // the image's ink box is what lies on the model's canvas: draw the image moved by its corner
  context.drawImage(image, (left - cropLeft * scale) * factor, (top - cropTop * scale) * factor,
                    width * scale * factor, height * scale * factor);
  if (step === null || !answer.attention) return;
  const weights = answer.attention[step], cells = answer.grid_size * answer.grid_size, cell = SIDE / answer.grid_size;
  weights.forEach((weight, position) => {
    const value = strength(weight, cells);
    if (value <= 0) return;
    context.fillStyle = `rgba(255, 80, 30, ${(0.7 * value).toFixed(3)})`;
    context.fillRect((position % answer.grid_size) * cell, Math.floor(position / answer.grid_size) * cell, cell, cell);
  });
  if (answer.points) {
    const [x, y] = answer.points[step];
    context.strokeStyle = "#0057b8";
    context.lineWidth = 2;
    context.beginPath();
    context.moveTo(x * factor - 8, y * factor); context.lineTo(x * factor + 8, y * factor);
    context.moveTo(x * factor, y * factor - 8); context.lineTo(x * factor, y * factor + 8);
    context.stroke();
  }
  canvas.dataset.step = String(step);
}
