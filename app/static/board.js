// The live public board: renders the first payload, then every `leaderboard` event.
"use strict";
(() => {
  const sections = new Map();
  const versions = {};
  document.querySelectorAll("section.board").forEach((section) => {
    sections.set(section.dataset.task, section);
    render(JSON.parse(section.querySelector(".initial").textContent));
  });

  function render(data) {
    const section = sections.get(data.task);
    if (!section || data.board !== section.dataset.board) return;
    if (versions[data.task] !== undefined && data.version < versions[data.task]) return;
    versions[data.task] = data.version;
    const body = section.querySelector("tbody");
    const before = new Map([...body.rows].map((r) => [r.dataset.team, r.dataset.score]));
    body.replaceChildren(...data.rows.map((row) => {
      const tr = document.createElement("tr");
      tr.dataset.team = row.team;
      tr.dataset.score = String(row.score);
      tr.append(HJ.cell(row.rank), HJ.cell(row.team), HJ.cell(HJ.score(row.score, data.decimals)),
        HJ.cell(row.submissions), HJ.cell(HJ.time(row.last_submission_at)));
      if (before.size && before.get(row.team) !== String(row.score)) tr.classList.add("changed");
      return tr;
    }));
    section.dataset.version = data.version;
    section.querySelector(".empty").hidden = data.rows.length > 0;
    section.querySelector(".frozen").hidden = !data.frozen;
  }

  // Every (re)connect subscribes with the versions held, so only what is missing comes back.
  const socket = HJ.live((sock) => sock.emit("subscribe", { event: window.HJ_EVENT, since: versions }));
  socket.on("leaderboard", render);
})();
