// Talking to the server: every error comes back as {"detail": message}.

export async function getJSON(url) {
  return answer(await fetch(url));
}

export async function predictTexts(model, texts) {
  const response = await fetch(`/api/${encodeURIComponent(model)}/predict`, {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({inputs: texts})});
  return (await answer(response)).results;
}

export async function predictImages(model, blobs) {
  const form = new FormData();
  blobs.forEach((blob, index) => form.append("images", blob, blob.name || `image-${index + 1}.png`));
  const response = await fetch(`/api/${encodeURIComponent(model)}/predict`,
                               {method: "POST", body: form});
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
