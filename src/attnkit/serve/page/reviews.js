// The reviews view (any text classifier): paste a text, see the label, every class's
// probability, and the text shaded by attention on an honest scale with its legend.
import {predictTexts} from "./api.js";
import {el, facts, showError} from "./dom.js";
import {headsButton} from "./heads.js";
import {effectiveCount, legend, shade, strength} from "./scale.js";

export function reviewsView(container, model) {
  const input = el("textarea", {id: "review-input", name: "text", required: true,
                                placeholder: "Paste a review (or any text this model reads)"});
  const result = el("div", {class: "result", id: "review-result", "aria-live": "polite"});
  const form = el("form", {onsubmit: (event) => {
    event.preventDefault();
    classify(model, input.value, result);
  }}, input, el("button", {type: "submit", class: "primary"}, "Classify"));
  container.append(form, result);
}

async function classify(model, text, result) {
  result.replaceChildren(el("p", {class: "note"}, "Reading\u2026"));
  try {
    const [answer] = await predictTexts(model.name, [text]);
    result.replaceChildren(...render(answer, text));
    if (model.heads) result.append(...headsButton(model, text));
  } catch (error) {
    showError(result, error.message);
  }
}

function render(answer, text) {
  const count = answer.attention.length;
  return [
    el("div", {class: "output", id: "review-label"}, answer.output),
    facts([["probability", answer.probability.toFixed(4)]]),
    el("div", {class: "bars", id: "review-probabilities"},
       Object.entries(answer.probabilities).map(([label, probability]) => {
         const bar = el("div", {class: "bar"});
         bar.style.width = `${(probability * 100).toFixed(1)}%`;
         return [el("span", {}, label), el("div", {}, bar), el("span", {}, probability.toFixed(4))];
       })),
    el("h2", {}, "What it read"),
    summary(answer, count),
    shaded(text, answer.spans, answer.attention, count),
    legend(count, "token")];
}

function summary(answer, count) {
  const weights = answer.attention;
  const top = weights.indexOf(Math.max(...weights));
  const ratio = weights[top] * count;
  return el("p", {class: "note", id: "review-summary"},
    `${count} tokens read, so an even share is 1/${count} = ${(1 / count).toFixed(4)}. ` +
    `The most attended token, \u201c${answer.tokens[top]}\u201d, got ${weights[top].toFixed(4)}: ` +
    `${ratio.toFixed(1)} times its even share. Attention is spread as if over ` +
    `${effectiveCount(weights).toFixed(1)} tokens.`);
}

function shaded(text, spans, weights, count) {
  // spans count code points (Python's string indices), not JavaScript's UTF-16 units
  const characters = Array.from(text);
  const piece = (start, end) => characters.slice(start, end).join("");
  const parts = [];
  let position = spans.length ? spans[0][0] : characters.length;
  if (piece(0, position).trim()) {
    parts.push(el("span", {class: "unread", title: "not read: the model reads the last " +
                           `${count} tokens`}, piece(0, position)));
  }
  spans.forEach(([start, end], index) => {
    if (start > position) parts.push(piece(position, start));
    const token = el("span", {class: "token", title: `weight ${weights[index].toFixed(4)} = ` +
                              `${(weights[index] * count).toFixed(1)}x the even share`},
                     piece(start, end));
    token.style.background = shade(strength(weights[index], count));
    parts.push(token);
    position = end;
  });
  if (position < characters.length) parts.push(piece(position, characters.length));
  return el("div", {class: "review-text", id: "review-text"}, parts);
}
