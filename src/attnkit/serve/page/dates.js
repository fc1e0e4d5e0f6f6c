// The dates view (any text-to-text model: dates, translation): type a text, see the output and
// the attention matrix. Hovering an output token highlights the source tokens it attended to.
// Tokens are characters, or subword pieces ("\u2581" starts a word) for models that read them.
import {predictTexts} from "./api.js";
import {el, facts, showError} from "./dom.js";
import {headsButton} from "./heads.js";
import {shade} from "./scale.js";

const SHOWN = {" ": "\u2423"};  // a visible space

const isSpecial = (token) => /^<[^<>]+>$/.test(token);  // <end>, <unk>: not text written

function tokenText(token) {
  return isSpecial(token) ? `\u27e8${token.replace(/[<>]/g, "")}\u27e9` : (SHOWN[token] || token);
}

// a token in a line of text: a subword piece's word start as the space it stands for
function lineText(token) {
  return isSpecial(token) ? tokenText(token) : token.replace(/\u2581/g, " ");
}

const PLACEHOLDERS = {characters: "a date as people write it, e.g. 3rd of March 2011",
                      subwords: "a sentence to translate, e.g. A dog runs on the beach."};

export function datesView(container, model) {
  const input = el("input", {type: "text", id: "dates-input", name: "text", required: true,
                             maxlength: 200, autocomplete: "off",
                             placeholder: PLACEHOLDERS[model.tokens] || "a text"});
  const result = el("div", {class: "result", id: "dates-result", "aria-live": "polite"});
  const form = el("form", {onsubmit: (event) => {
    event.preventDefault();
    translate(model, input.value, result);
  }}, input, el("button", {type: "submit", class: "primary"},
                model.tokens === "subwords" ? "Translate" : "Read it"));
  container.append(form, result);
}

async function translate(model, text, result) {
  result.replaceChildren(el("p", {class: "note"}, "Reading\u2026"));
  try {
    const [answer] = await predictTexts(model.name, [text]);
    result.replaceChildren(...render(answer, model));
    if (model.heads) result.append(...headsButton(model, text));
  } catch (error) {
    showError(result, error.message);
  }
}

function render(answer, model) {
  const sources = answer.input_tokens, targets = answer.output_tokens;
  const output = el("div", {class: "output", id: "output-tokens"},
    targets.map((token, row) => el("span", {"data-row": row, title: token},
                                   model.tokens === "subwords" ? lineText(token) : tokenText(token))));
  const parts = [
    // an empty output is the model's refusal (a date model: "not a date")
    facts([["output", answer.output || "(none: the model refuses this input)"],
           ["probability", answer.probability.toFixed(4)]]),
    el("p", {class: "note"}, "Hover an output token to see which input tokens it read."),
    output];
  if (!answer.attention) {
    return [...parts, el("p", {class: "note"}, "This model has no attention to show.")];
  }
  const sourceLine = el("div", {class: "source-line", id: "source-line"},
    sources.map((token, column) => el("span", {"data-col": column}, lineText(token))));
  const table = matrix(answer.attention, sources, targets);
  const highlight = (row) => {
    const weights = row === null ? null : answer.attention[row];
    const peak = weights ? Math.max(...weights) : 0;
    for (const cell of [...table.querySelectorAll("th.source"), ...sourceLine.children]) {
      const weight = weights ? weights[Number(cell.dataset.col)] : 0;
      cell.style.background = weights ? shade(weight) : "";
      cell.classList.toggle("attended", Boolean(weights) && weight >= 0.5 * peak);
    }
    for (const element of [...table.querySelectorAll("tbody tr"), ...output.children]) {
      element.classList.toggle("active", Number(element.dataset.row) === row);
    }
  };
  for (const element of [...table.querySelectorAll("tbody tr"), ...output.children]) {
    element.addEventListener("mouseenter", () => highlight(Number(element.dataset.row)));
    element.addEventListener("mouseleave", () => highlight(null));
  }
  return [...parts, el("p", {class: "note"}, "Input, shaded by the hovered character's attention:"),
          sourceLine, table,
          el("p", {class: "legend"}, "Each row is one output token; a cell's shade is the " +
             "share of its attention that input token got, from 0 (white) to 1 " +
             "(darkest). Each row sums to 1.")];
}

function matrix(attention, sources, targets) {
  const head = el("tr", {}, el("th", {}, ""),
    sources.map((token, column) => el("th", {class: "source", "data-col": column, scope: "col"},
                                      SHOWN[token] || token)));
  const rows = targets.map((token, row) => el("tr", {"data-row": row},
    el("th", {class: "target", scope: "row"}, tokenText(token)),
    attention[row].map((weight, column) => {
      const cell = el("td", {title: `${tokenText(token)} \u2190 ${sources[column]}: ` +
                                    weight.toFixed(3)});
      cell.style.background = shade(weight);
      return cell;
    })));
  return el("table", {class: "attention-matrix", id: "attention-matrix"},
            el("thead", {}, head), el("tbody", {}, rows));
}
