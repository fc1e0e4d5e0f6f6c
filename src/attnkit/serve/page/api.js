// Talking to the server: every error comes back as {"detail": message}. A server started with
// a token (`attnkit serve --token`) is opened as /#token=TOKEN: the token is kept for this tab
// (and taken out of the address, where the views' names go), and every request sends it.

const TOKEN_KEY = "attnkit-token";
const given = new URLSearchParams(location.hash.slice(1)).get("token");
if (given) {
  sessionStorage.setItem(TOKEN_KEY, given);
  history.replaceState(null, "", location.pathname + location.search);
}
const token = sessionStorage.getItem(TOKEN_KEY);

export function authorized(options = {}) {
  if (!token) return options;
  return {...options, headers: {...(options.headers || {}), Authorization: `Bearer ${token}`}};
}

export async function getJSON(url) {
  return answer(await fetch(url, authorized()));
}

// An image of the API (an example, a drawing) as a URL an <img> can show.
export async function imageURL(url) {
  const response = await fetch(url, authorized());
  if (!response.ok) throw new Error(`${response.status}: ${response.statusText}`);
  return URL.createObjectURL(await response.blob());
}

export async function predictTexts(model, texts) {
  const response = await fetch(`/api/${encodeURIComponent(model)}/predict`, authorized({
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({inputs: texts})}));
  return (await answer(response)).results;
}

// Every layer's and head's attention for one text (Transformer models: "heads" in /api/models).
export async function headsOf(model, text) {
  const response = await fetch(`/api/${encodeURIComponent(model)}/heads`, authorized({
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({inputs: [text]})}));
  return answer(response);
}

export async function predictImages(model, blobs) {
  const form = new FormData();
  blobs.forEach((blob, index) => form.append("images", blob, blob.name || `image-${index + 1}.png`));
  const response = await fetch(`/api/${encodeURIComponent(model)}/predict`,
                               authorized({method: "POST", body: form}));
  return (await answer(response)).results;
}

async function answer(response) {
  let body = null;
  try { body = await response.json(); } catch (error) { body = null; }
  if (!response.ok) {
    const detail = body && body.detail;
    const message = typeof detail === "string" ? detail : JSON.stringify(detail);
    throw new Error(`${response.status}: ${message || response.statusText}`);
  }
  return body;
}
