// Event set-up in the browser: new event, edit times, freeze, tasks with a truth preview,
// team import (the credentials file downloads), hide/show and ban/reinstate teams. All through
// the REST API.
"use strict";
(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const status = document.getElementById("setup-status");
  const event = window.HJ_EVENT;
  const api = (path) => `/api/v1${path}`;

  function say(ok, text) {
    status.hidden = false;
    status.className = ok ? "flash" : "flash error";
    status.textContent = text;
  }

  async function send(method, path, body, isForm) {
    const reply = await fetch(api(path), {
      method,
      headers: isForm ? { "X-CSRFToken": csrf } : { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: isForm ? body : JSON.stringify(body),
    });
    return reply;
  }

  async function json(reply) {
    const data = await reply.json();
    if (!reply.ok) say(false, (data.error && data.error.message) || data.problem || reply.statusText);
    return reply.ok ? data : null;
  }

  function once(form, action) {
    form?.addEventListener("submit", async (e) => {
      e.preventDefault();
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true; // a double click submits once
      try { await action(new FormData(form)); } finally { button.disabled = false; }
    });
  }

  once(document.getElementById("event-form"), async (data) => {
    const body = Object.fromEntries(data);
    if (!body.freeze) delete body.freeze;
    const made = await json(await send("POST", "/events", body));
    if (made) location.href = `/events/${encodeURIComponent(made.slug)}/organize`;
  });

  once(document.getElementById("event-edit"), async (data) => {
    const body = Object.fromEntries(data);
    if ("prize_places" in body) body.prize_places = Number(body.prize_places);
    if (await json(await send("PATCH", `/events/${event}`, body))) location.reload();
  });
  for (const [id, action] of [["freeze-now", "freeze"], ["unfreeze", "unfreeze"]]) {
    document.getElementById(id)?.addEventListener("click", async (e) => {
      const button = e.currentTarget;
      button.disabled = true; // one request a click; the page reloads once it is answered
      if (await json(await send("POST", `/events/${event}/${action}`))) location.reload();
      else button.disabled = false;
    });
  }

  const taskForm = document.getElementById("task-form");
  document.getElementById("task-preview")?.addEventListener("click", async () => {
    const data = new FormData(taskForm);
    const reply = await send("POST", `/events/${event}/tasks/preview`, data, true);
    const p = await reply.json();
    const box = document.getElementById("preview");
    box.hidden = false;
    const table = document.createElement("table");
    table.innerHTML = "<thead><tr></tr></thead><tbody></tbody>";
    (p.columns || []).forEach((c) => { const th = document.createElement("th"); th.textContent = c; table.tHead.rows[0].append(th); });
    (p.first_rows || []).forEach((row) => {
      const tr = document.createElement("tr");
      (p.columns || []).forEach((c) => tr.append(HJ.cell(row[c])));
      table.tBodies[0].append(tr);
    });
    const facts = document.createElement("p");
    facts.className = reply.ok ? "muted" : "flash error";
    // In the page's language: the templates come from the page (window.HJ_TEXT.preview).
    const t = window.HJ_TEXT.preview;
    const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => values[key]);
    const scale = p.rating_range ? ` · ${t.scale}: ${p.rating_range[0]}..${p.rating_range[1]}` : "";
    facts.textContent = reply.ok
      ? [fill(t.rows, { rows: p.rows }), `${t.id}: ${p.id_column}`, `${t.target}: ${p.target}`,
        `${t.classes}: ${p.classes.join(", ") || "–"}`, fill(t.split, { public: p.public_rows, private: p.private_rows })].join(" · ") + scale
      : (p.problem || (p.error && p.error.message));
    const sample = document.createElement("pre");
    sample.className = "head";
    sample.textContent = (p.sample_submission || []).join("\n");
    box.replaceChildren(facts, table, sample);
    if (reply.ok) {
      if (!taskForm.id_column.value) taskForm.id_column.value = p.id_column;
      if (!taskForm.target.value) taskForm.target.value = p.target;
    }
  });
  once(taskForm, async (data) => {
    if (await json(await send("POST", `/events/${event}/tasks`, data, true))) location.reload();
  });

  once(document.getElementById("team-import"), async (data) => {
    const reply = await send("POST", `/events/${event}/teams/import`, data, true);
    if (!reply.ok) { await json(reply); return; }
    // The credentials file: passwords shown once, so it downloads straight away.
    const blob = await reply.blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${event}-credentials.csv`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => location.reload(), 500);
  });
  once(document.getElementById("staff-form"), async (data) => {
    const made = await json(await send("POST", "/users", Object.fromEntries(data)));
    if (!made) return;
    const shown = document.getElementById("staff-created");
    shown.hidden = false;
    shown.querySelector("strong").textContent = `${made.email} · ${made.role} · ${made.password}`;
    document.getElementById("staff-form").reset();
  });
  document.querySelectorAll("button.hide-team").forEach((button) => button.addEventListener("click", async () => {
    button.disabled = true;
    if (await json(await send("POST", `/events/${event}/teams/${button.dataset.team}/${button.dataset.action}`))) location.reload();
    else button.disabled = false;
  }));
  // Ban: disqualify with a reason (audit-logged; the boards drop the team at once), or reinstate.
  document.querySelectorAll("button.ban-team").forEach((button) => button.addEventListener("click", async () => {
    const ban = button.dataset.action === "ban";
    const reason = ban ? prompt(window.HJ_TEXT.ban_reason) : "";
    if (ban && !reason?.trim()) return;
    button.disabled = true;
    const path = `/events/${event}/teams/${button.dataset.team}/disqualify`;
    if (await json(await send(ban ? "POST" : "DELETE", path, { reason }))) location.reload();
    else button.disabled = false;
  }));
})();
