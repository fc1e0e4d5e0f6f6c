import {el} from "./dom.js";

// One honest colour scale for attention (the same as attnkit/viz/attention_scale.py): a
// weight's strength is log(weight x count) / log(count), clipped to [0, 1]. Uniform attention
// (1/count each) is 0, white; all attention on one position is 1. Scaling by the largest
// weight instead would paint near-uniform attention as strongly as a sharp peak.

export function strength(weight, count) {
  if (count <= 1) return 0;
  const ratio = Math.max(weight * count, 1);
  return Math.min(Math.log(ratio) / Math.log(count), 1);
}

// White (0) to saturated red-orange (1), as viz/highlight.py colours text.
export function shade(value) {
  return `rgb(255, ${Math.round(255 - 175 * value)}, ${Math.round(255 - 225 * value)})`;
}

// [strength, label] marks for a legend: uniform, each power of 10 above it, all on one.
export function scaleMarks(count) {
  const marks = [[0, `uniform (1/${count}) or less`]];
  for (let ratio = 10; ratio < count / 2; ratio *= 10) {
    marks.push([Math.log(ratio) / Math.log(count), `${ratio}x uniform`]);
  }
  if (count > 1) marks.push([1, "all on one"]);
  return marks;
}

// How many positions the attention is spread over: exp(entropy), from 1 (one position) to
// count (uniform). A plain number a reader can compare with count.
export function effectiveCount(weights) {
  let entropy = 0;
  for (const weight of weights) if (weight > 0) entropy -= weight * Math.log(weight);
  return Math.exp(entropy);
}

export function legend(count, what) {
  const marks = scaleMarks(count);
  return el("div", {class: "legend"},
    el("div", {}, `Shade: how many times its even share (1/${count}) of attention a ${what} got, ` +
                  "on a log scale. Even attention leaves everything white."),
    el("div", {class: "ramp", role: "img", "aria-label": "colour scale"}),
    el("div", {class: "marks"}, marks.map(([position, label]) => {
      const mark = el("span", {}, label);
      mark.style.left = `${(position * 100).toFixed(1)}%`;
      return mark;
    })));
}
