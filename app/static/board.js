// The live public board: renders the first payload, then every `leaderboard` event, with each
// team's rank movement since the previous update (never during a freeze), the signed-in
// team's row highlighted and kept in view, the prize zone, and a filter for long boards.
"use strict";
(() => {
  const text = window.HJ_TEXT;
  const sections = new Map();
  const versions = {};
  const ranks = {}; // task → Map(team → rank) as last shown
  const LONG_BOARD = 10; // rows from which the filter box is offered
  const filter = document.getElementById("team-filter");
  const tools = document.getElementById("board-tools");

  // "▲2" / "▼1" / "new", with the words for screen readers.
  function movement(before, team, rank) {
    const span = document.createElement("span");
    span.className = "move";
    if (!before.has(team)) {
      span.classList.add("new");
      span.textContent = text.new;
      span.title = text.new_label;
    } else {
      const delta = Number(before.get(team)) - Number(rank);
      if (!delta || !Number.isFinite(delta)) return null;
      span.classList.add(delta > 0 ? "up" : "down");
      span.textContent = `${delta > 0 ? "▲" : "▼"}${Math.abs(delta)}`;
      span.title = (delta > 0 ? text.up : text.down).replace("{n}", Math.abs(delta));
    }
    span.setAttribute("aria-label", span.title);
    return span;
  }

  function applyFilter() {
    const query = (filter.value || "").trim().toLocaleLowerCase();
    sections.forEach((section) => {
      let shown = 0;
      for (const tr of section.querySelector("tbody").rows) {
        const match = !query || tr.dataset.team.toLocaleLowerCase().includes(query);
        tr.hidden = !match;
        shown += match ? 1 : 0;
      }
      const rows = section.querySelector("tbody").rows.length;
      section.querySelector(".no-match").hidden = !(query && rows && !shown);
    });
  }

  function render(data) {
    const section = sections.get(data.task);
    if (!section || data.board !== section.dataset.board) return;
    if (versions[data.task] !== undefined && data.version < versions[data.task]) return;
    const first = versions[data.task] === undefined;
    versions[data.task] = data.version;
    const body = section.querySelector("tbody");
    const before = new Map([...body.rows].map((r) => [r.dataset.team, r.dataset.score]));
    const rankBefore = ranks[data.task] || new Map();
    // Movement only between two live updates: not on the first paint, never while frozen.
    const moving = !first && !data.frozen;
    body.replaceChildren(...data.rows.map((row) => {
      const tr = document.createElement("tr");
      tr.dataset.team = row.team;
      tr.dataset.score = String(row.score);
      tr.dataset.rank = String(row.rank);
      const rank = HJ.cell(row.rank);
      rank.className = "rank";
      const moved = moving ? movement(rankBefore, row.team, row.rank) : null;
      if (moved) rank.append(" ", moved);
      const team = HJ.cell(row.team);
      const score = HJ.cell(HJ.score(row.score, data.decimals));
      score.className = "num";
      const entries = HJ.cell(row.submissions);
      entries.className = "num wide-only";
      const last = HJ.cell(HJ.time(row.last_submission_at));
      last.className = "wide-only";
      tr.append(rank, team, score, entries, last);
      if (window.HJ_PRIZE && row.rank && row.rank <= window.HJ_PRIZE) {
        tr.classList.add("prize");
        rank.title = text.prize;
      }
      if (window.HJ_MINE && row.team === window.HJ_MINE) {
        tr.classList.add("mine");
        team.title = text.mine;
      }
      if (before.size && before.get(row.team) !== String(row.score)) tr.classList.add("changed");
      return tr;
    }));
    ranks[data.task] = new Map(data.rows.map((row) => [row.team, row.rank]));
    section.dataset.version = data.version;
    section.querySelector(".empty").hidden = data.rows.length > 0;
    section.querySelector(".frozen").hidden = !data.frozen;
    const long = [...sections.values()].some((s) => s.querySelector("tbody").rows.length >= LONG_BOARD);
    filter.closest("label").hidden = !long;
    tools.hidden = !long && !window.HJ_PRIZE;
    applyFilter();
  }

  document.querySelectorAll("section.board").forEach((section) => {
    sections.set(section.dataset.task, section);
  });
  filter.addEventListener("input", applyFilter);
  sections.forEach((section) => render(JSON.parse(section.querySelector(".initial").textContent)));

  // Every (re)connect subscribes with the versions held, so only what is missing comes back.
  const socket = HJ.live((sock) => sock.emit("subscribe", { event: window.HJ_EVENT, since: versions }));
  socket.on("leaderboard", render);
})();
