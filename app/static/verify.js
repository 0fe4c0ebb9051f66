// Winners' code verification in the console: start it for the top N, follow the verdicts.
"use strict";
(() => {
  const form = document.getElementById("verify-form");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const url = `/api/v1/events/${encodeURIComponent(window.HJ_EVENT)}/verifications`;
  const labels = JSON.parse(document.getElementById("verify-labels").textContent);
  const table = document.getElementById("verify-table");
  const body = table.querySelector("tbody");
  const busy = (rows) => rows.some((r) => r.status === "queued" || r.status === "running");

  function show(rows) {
    table.hidden = rows.length === 0;
    document.getElementById("verify-empty").hidden = rows.length > 0;
    body.replaceChildren(...rows.map((r) => {
      const tr = document.createElement("tr");
      tr.className = `verdict-${r.status}`;
      const team = document.createElement("td");
      const link = document.createElement("a");
      link.href = `/events/${encodeURIComponent(window.HJ_EVENT)}/review/teams/${r.team_id}`;
      link.textContent = r.team;
      team.append(link);
      const gap = r.max_difference ? `, ≤ ${r.max_difference.toPrecision(2)}` : "";
      const differ = r.rows ? `${r.rows_differing} / ${r.rows} (${(100 * r.share_differing).toFixed(1)}%)${gap}` : "–";
      tr.append(HJ.cell(r.task), team, HJ.cell(r.filename || "–"), HJ.cell(labels[r.status] || r.status),
        HJ.cell(r.picked_score ?? "–"), HJ.cell(r.reproduced_score ?? "–"), HJ.cell(differ), HJ.cell(r.message));
      return tr;
    }));
  }

  async function refresh() {
    const reply = await fetch(url);
    if (!reply.ok) return;
    const rows = (await reply.json()).verifications;
    show(rows);
    if (busy(rows)) setTimeout(refresh, 1500);
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const reply = await fetch(url, {
        method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ top: Number(new FormData(form).get("top")) }),
      });
      const data = await reply.json();
      if (!reply.ok) { alert(data.error.message); return; }
      show(data.verifications);
      setTimeout(refresh, 1000);
    } finally { button.disabled = false; }
  });
  refresh();
})();
