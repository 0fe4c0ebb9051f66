// Review pages: the judge's rubric form and the organizer's console, through the REST API.
"use strict";
(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const status = document.getElementById("review-status");
  const base = `/api/v1/events/${encodeURIComponent(window.HJ_EVENT)}`;

  async function call(method, path, body) {
    const reply = await fetch(base + path, {
      method, headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await reply.json();
    status.hidden = false;
    status.className = reply.ok ? "flash" : "flash error";
    status.textContent = reply.ok ? (window.HJ_SAVED || "✓") : data.error.message;
    return reply.ok ? data : null;
  }

  function guard(form, action) {
    // A double click sends once: the button stays disabled until the answer.
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const button = form.querySelector("button");
      button.disabled = true;
      try { await action(new FormData(form)); } finally { button.disabled = false; }
    });
  }

  const rubric = document.getElementById("rubric");
  if (rubric) guard(rubric, async (data) => {
    const scores = {};
    for (const [id, value] of data) scores[id] = Number(value);
    await call("PUT", `/teams/${rubric.dataset.team}/scores`, { scores });
  });
  const comment = document.getElementById("comment-form");
  if (comment) guard(comment, async (data) => {
    if (await call("POST", `/teams/${comment.dataset.team}/comments`, { text: data.get("text") })) location.reload();
  });
  const conflict = document.getElementById("conflict-form");
  if (conflict) guard(conflict, async (data) => {
    if (await call("POST", `/teams/${conflict.dataset.team}/conflict`, { reason: data.get("reason") })) {
      location.href = `/events/${encodeURIComponent(window.HJ_EVENT)}/review`;
    }
  });
  document.querySelectorAll(".flag-form").forEach((form) => guard(form, async (data) => {
    const reply = await fetch(`/api/v1/submissions/${form.dataset.submission}/flags`, {
      method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ kind: data.get("kind"), note: data.get("note") }),
    });
    status.hidden = false;
    status.className = reply.ok ? "flash" : "flash error";
    status.textContent = reply.ok ? window.HJ_SAVED : (await reply.json()).error.message;
  }));
  document.querySelectorAll("button.disqualify").forEach((button) => button.addEventListener("click", async () => {
    // A verdict's button comes with its reason written out (winners' code verification).
    const reason = prompt(window.HJ_REASON, button.dataset.reason || "");
    if (!reason) return;
    button.disabled = true;
    if (await call("POST", `/teams/${button.dataset.team}/disqualify`, { reason })) location.reload();
    else button.disabled = false;
  }));
  const weightsForm = document.getElementById("weights-form");
  if (weightsForm) guard(weightsForm, async (data) => {
    const done = await call("PUT", "/review/weights", { w_auto: Number(data.get("w_auto")), w_review: Number(data.get("w_review")) });
    if (done) location.reload();
  });
  const criterion = document.getElementById("criterion-form");
  if (criterion) guard(criterion, async (data) => {
    const made = await call("POST", "/criteria", {
      name: data.get("name"), weight: Number(data.get("weight")), scale: Number(data.get("scale")),
      description: data.get("description"), judges: data.get("judges") || "",
    });
    if (made) location.reload();
  });
  const assign = document.getElementById("assign-form");
  if (assign) guard(assign, async (data) => {
    const top = data.get("top");
    const done = await call("POST", "/assignments", { per_team: Number(data.get("per_team")), top: top ? Number(top) : null });
    if (done) location.reload();
  });
  document.getElementById("lock")?.addEventListener("click", async () => {
    if (await call("POST", "/review/lock")) location.reload();
  });
  document.getElementById("publish")?.addEventListener("click", async (e) => {
    e.target.disabled = true;
    if (await call("POST", "/final/publish")) location.reload(); else e.target.disabled = false;
  });
})();
