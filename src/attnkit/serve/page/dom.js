// Building the page's elements: el("p", {class: "note"}, "text", child, ...).
// Text always goes in as text nodes, never as HTML: model outputs and file names are data.

export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function showError(target, message) {
  target.replaceChildren(el("p", {class: "error", role: "alert"}, message));
}

export function facts(pairs) {
  return el("dl", {class: "facts"},
    pairs.map(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
}
