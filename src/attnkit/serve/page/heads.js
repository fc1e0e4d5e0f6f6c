// The head view of a Transformer (in the spirit of bertviz, drawn here, offline): the tokens
// that attend on the left, the tokens attended to on the right, and a line between two tokens
// for each chosen head of one layer, as opaque as that head's weight. Hover a token to keep
// only its lines. The record is the server's /api/MODEL/heads answer:
// {kind, output, rows, columns, heads: layers x heads x rows x columns}.
import {headsOf} from "./api.js";
import {el, showError} from "./dom.js";

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
                 "#8c564b", "#e377c2"];
const LINES_PER_ROW = 8;  // the strongest lines of each token and head; the rest stay undrawn
const SHOWN_FROM = 0.02;  // weights under this are not drawn at all
const ROW_PX = 18, TEXT_PX = 170, GAP_PX = 220;
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}, text = null) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (text !== null) element.textContent = text;  // always text, never markup
  return element;
}

// A button that fetches the heads of `text` from the model and shows them in a section below.
export function headsButton(model, text) {
  const place = el("div", {class: "head-view", id: "head-view"});
  const button = el("button", {type: "button", id: "show-heads", onclick: async () => {
    button.disabled = true;
    place.replaceChildren(el("p", {class: "note"}, "Reading every head\u2026"));
    try {
      place.replaceChildren(...headView(await headsOf(model.name, text)));
    } catch (error) {
      showError(place, error.message);
    }
    button.disabled = false;
  }}, "Show every layer and head");
  return [button, place];
}

export function headView(record) {
  const layers = record.heads.length, heads = record.heads[0].length;
  let layer = layers - 1;
  const chosen = new Set([...Array(heads).keys()]);
  const picture = el("div", {class: "head-lines", id: "head-lines"});
  const draw = () => picture.replaceChildren(lines(record, layer, chosen));
  const layerChoice = el("select", {id: "head-layer", "aria-label": "layer", onchange: () => {
    layer = Number(layerChoice.value);
    draw();
  }}, [...Array(layers).keys()].map((index) =>
    el("option", {value: index, selected: index === layer}, `layer ${index + 1}`)));
  const headChoices = [...Array(heads).keys()].map((head) => {
    const box = el("input", {type: "checkbox", checked: true, "data-head": head,
                             onchange: () => {
                               if (box.checked) chosen.add(head); else chosen.delete(head);
                               draw();
                             }});
    const label = el("label", {class: "head-choice"}, box, `head ${head + 1}`);
    label.style.borderBottom = `3px solid ${COLOURS[head % COLOURS.length]}`;
    return label;
  });
  const what = record.kind === "self-attention"
    ? "each token of the text (left) over every token (right)"
    : "each output token (left) over the input tokens (right)";
  draw();
  return [el("h3", {}, `Every head: ${record.kind}`),
          el("p", {class: "note"}, `Lines join ${what}, one colour per head, as opaque as ` +
             `its weight (the ${LINES_PER_ROW} strongest of each token and head, from ` +
             `${SHOWN_FROM}). Hover a token to keep only its lines.`),
          el("div", {class: "head-controls"}, layerChoice, headChoices), picture];
}

function lines(record, layer, chosen) {
  const rows = record.rows, columns = record.columns;
  const height = ROW_PX * Math.max(rows.length, columns.length) + 8;
  const width = 2 * TEXT_PX + GAP_PX;
  const picture = svg("svg", {width, height, viewBox: `0 0 ${width} ${height}`,
                              role: "img", "aria-label": `layer ${layer + 1} heads`});
  const y = (index) => ROW_PX * index + ROW_PX - 4;
  const drawn = svg("g", {class: "head-links"});
  for (const head of chosen) {
    const colour = COLOURS[head % COLOURS.length];
    record.heads[layer][head].forEach((weights, row) => {
      strongest(weights).forEach((column) => {
        drawn.append(svg("line", {x1: TEXT_PX + 4, y1: y(row) - 4, x2: TEXT_PX + GAP_PX - 4,
                                  y2: y(column) - 4, stroke: colour, "stroke-width": 2,
                                  "stroke-opacity": weights[column].toFixed(3),
                                  "data-row": row, "data-col": column}));
      });
    });
  }
  picture.append(drawn);
  const focus = (attribute, index) => {
    for (const line of drawn.children) {
      line.style.display = index === null || line.dataset[attribute] === String(index)
        ? "" : "none";
    }
  };
  rows.forEach((token, row) => picture.append(tokenText(token, TEXT_PX, y(row), "end",
                                                         () => focus("row", row), focus)));
  columns.forEach((token, column) => picture.append(
    tokenText(token, TEXT_PX + GAP_PX, y(column), "start", () => focus("col", column), focus)));
  return picture;
}

function strongest(weights) {
  return [...weights.keys()].filter((column) => weights[column] >= SHOWN_FROM)
    .sort((a, b) => weights[b] - weights[a]).slice(0, LINES_PER_ROW);
}

function tokenText(token, x, y, anchor, enter, focus) {
  const text = svg("text", {x, y, "text-anchor": anchor, class: "head-token"},
                   token === " " ? "\u2423" : token);
  text.addEventListener("mouseenter", enter);
  text.addEventListener("mouseleave", () => focus("row", null));
  return text;
}
