// The projector: one task at a time (auto-rotating), live top teams with rank animation,
// countdowns, a score-over-time chart, the announcement ticker, and the reveal.
"use strict";
(() => {
  const S = JSON.parse(document.getElementById("setup").textContent);
  const L = JSON.parse(document.getElementById("labels").textContent);
  const $ = (id) => document.getElementById(id);
  const tasks = S.tasks;
  let current = 0;
  let paused = false;
  let pending = false; // a reveal request in flight: key repeats and double presses wait
  let chart = null;
  let chartTimer = null;
  const FINAL = "__final";

  const revealing = (t) => t.reveal && t.reveal.started && !t.reveal.finished;

  // --- a team keeps one colour all event: the first free one when it first shows, kept in
  // this screen's storage (a reload keeps it), never derived from its rank --------------------
  const palette = ["#f5c542", "#5ab0ff", "#ff7a7a", "#7be38b", "#c59bff", "#ffa94d", "#4dd4c6", "#ff8fd1", "#b0b0b0", "#9ad16b", "#e8e86a", "#86a8ff"];
  const colourKey = `hackjudge:colours:${S.event}`;
  const colours = (() => {
    try { return JSON.parse(localStorage.getItem(colourKey)) || {}; } catch (_) { return {}; }
  })();
  function colourOf(team) {
    if (!(team in colours)) {
      const used = new Set(Object.values(colours));
      // Past the palette: a hue from the name, the same on every screen.
      const hue = [...team].reduce((h, ch) => (h * 31 + ch.codePointAt(0)) % 360, 7);
      colours[team] = palette.find((c) => !used.has(c)) || `hsl(${hue} 70% 65%)`;
      try { localStorage.setItem(colourKey, JSON.stringify(colours)); } catch (_) { /* private mode */ }
    }
    return colours[team];
  }
  const unit = () => Math.min(window.innerWidth / 1920, window.innerHeight / 1080);

  // --- rows with FLIP animation: each row slides from where it was to where it is --------
  function renderRows(rows, decimals, options) {
    const list = $("rows");
    const before = new Map([...list.children].map((li) => [li.dataset.team, li.getBoundingClientRect().top]));
    const oldRank = new Map([...list.children].map((li) => [li.dataset.team, li.dataset.rank]));
    const oldScore = new Map([...list.children].map((li) => [li.dataset.team, li.dataset.score]));
    // Teams take their colours in name order, so screens that see the same board agree.
    [...rows].map((row) => row.team).sort().forEach(colourOf);
    list.replaceChildren(...rows.map((row) => {
      const li = document.createElement("li");
      li.className = "row";
      li.dataset.team = row.team;
      li.dataset.rank = row.rank ?? "";
      li.dataset.score = row.score ?? "";
      li.style.setProperty("--team", colourOf(row.team));
      if (row.revealed) li.classList.add("revealed");
      if (options.highlight === row.team) li.classList.add("current");
      const cells = [row.rank ?? "–", row.team, row.score === null || row.score === undefined ? "–" : HJ.score(row.score, decimals),
        options.extra ? options.extra(row) : ""];
      cells.forEach((text, i) => {
        const span = document.createElement("span");
        span.className = ["rank", "name", "score", "extra"][i];
        span.textContent = text;
        // The closing screen: the final board's awards beside the team's name.
        if (i === 1 && row.awards && row.awards.length) {
          const award = document.createElement("span");
          award.className = "award";
          award.textContent = row.awards.join(" · ");
          span.append(" ", award);
        }
        li.append(span);
      });
      return li;
    }));
    for (const li of list.children) {
      const was = before.get(li.dataset.team);
      if (was === undefined) { li.classList.add("entered"); continue; }
      const delta = was - li.getBoundingClientRect().top;
      const rankBefore = Number(oldRank.get(li.dataset.team)) || Infinity;
      const rankNow = Number(li.dataset.rank) || Infinity;
      if (rankNow < rankBefore) li.classList.add("up");
      if (rankNow > rankBefore) li.classList.add("down");
      if (rankNow === rankBefore && oldScore.get(li.dataset.team) !== li.dataset.score) li.classList.add("changed");
      if (!delta) continue;
      li.style.transform = `translateY(${delta}px)`;
      li.style.transition = "none";
      requestAnimationFrame(() => requestAnimationFrame(() => {
        li.style.transition = "transform 900ms cubic-bezier(.2,.8,.2,1)";
        li.style.transform = "";
      }));
    }
    $("empty").hidden = rows.length > 0;
    const focus = options.highlight && [...list.children].find((li) => li.dataset.team === options.highlight);
    if (focus) focus.scrollIntoView({ block: "center", behavior: "smooth" });
    else list.scrollTop = 0;
  }

  function render() {
    const t = tasks[current];
    if (!t) return;
    $("task-title").textContent = t.title;
    $("task-metric").textContent = t.metric;
    document.body.dataset.task = t.slug;
    [...$("task-dots").children].forEach((li, i) => li.classList.toggle("on", i === current));
    const banner = $("reveal-banner");
    if (revealing(t)) {
      const r = t.reveal;
      document.body.dataset.mode = "reveal";
      $("col-extra").textContent = "";
      renderRows(r.standings, r.decimals, { highlight: r.team });
      banner.hidden = false;
      banner.textContent = r.team
        ? `${L.reveal_step} ${r.step}/${r.total} · ${r.team} ${r.from_rank ?? "–"} → ${r.to_rank ?? L.unranked}`
        : L.reveal_ready;
    } else {
      const board = t.board;
      const closed = board.board === "private" || board.board === "final";
      document.body.dataset.mode = closed ? "final" : "live";
      $("col-extra").textContent = closed ? "" : $("col-extra").dataset.label;
      renderRows(board.rows.slice(0, S.top), board.decimals, {
        extra: closed ? null : (row) => row.submissions,
      });
      banner.hidden = true;
    }
    $("frozen-badge").hidden = !(t.board.frozen && !revealing(t));
    $("final-badge").hidden = !(["private", "final"].includes(t.board.board) || (t.reveal && t.reveal.finished));
    showLive();
    scheduleChart(0);
  }

  // One state badge at a time: "frozen" or "final" says the board is live enough; the live
  // badge shows otherwise, and always when the connection is lost.
  function showLive() {
    const badge = $("live-status");
    const stated = !$("frozen-badge").hidden || !$("final-badge").hidden;
    badge.hidden = stated && badge.classList.contains("live");
  }

  // --- chart: best public score over time of the leading teams ---------------------------

  function scheduleChart(delay) {
    clearTimeout(chartTimer);
    chartTimer = setTimeout(loadChart, delay);
  }

  async function loadChart() {
    const t = tasks[current];
    if (t.slug === FINAL) return;
    const reply = await fetch(`/api/v1/events/${S.event}/history?task=${encodeURIComponent(t.slug)}&top=5`);
    if (!reply.ok) return;
    const data = await reply.json();
    if (data.task !== tasks[current].slug) return;
    const until = Date.parse(data.until);
    // A line needs two points: until then the chart waits (no axis of repeated times).
    const points = data.series.reduce((n, s) => n + s.points.length, 0);
    $("chart-waiting").hidden = points >= 2;
    document.querySelector(".chart .canvas").hidden = points < 2;
    if (points < 2) return;
    const u = unit();
    const datasets = data.series.map((s) => ({
      label: s.team,
      // Each line runs on to the board's moment (now, or the freeze) at its last best.
      data: [...s.points.map(([at, score]) => ({ x: Date.parse(at), y: score })),
        ...(s.points.length ? [{ x: until, y: s.points[s.points.length - 1][1] }] : [])],
      borderColor: colourOf(s.team), backgroundColor: colourOf(s.team),
      stepped: "before", borderWidth: 4 * u, pointRadius: 4 * u,
    }));
    // At least ten minutes of axis: seconds-apart first scores would repeat one label.
    const first = Math.min(...datasets.flatMap((d) => d.data.map((p) => p.x)));
    const xMin = Math.min(first, until - 600e3);
    if (!chart) {
      chart = new Chart($("chart"), {
        type: "line",
        data: { datasets },
        options: {
          animation: { duration: 600 }, maintainAspectRatio: false, parsing: false,
          scales: {
            x: { type: "linear", min: xMin, max: until, ticks: { color: "#ccc", font: { size: 18 * u }, maxTicksLimit: 8, callback: (v, i, ticks) => HJ.clock(v, ticks[ticks.length - 1].value - ticks[0].value < 3600e3) }, grid: { color: "#333" } },
            y: { ticks: { color: "#ccc", font: { size: 18 * u } }, grid: { color: "#333" } },
          },
          plugins: { legend: { labels: { color: "#eee", font: { size: 20 * u } } } },
        },
      });
    } else {
      chart.data.datasets = datasets;
      Object.assign(chart.options.scales.x, { min: xMin, max: until });
      chart.update();
    }
  }

  // --- countdowns -------------------------------------------------------------------------
  const span = (ms) => HJ.span(ms / 1000, L.days);

  function tick() {
    const now = Date.now();
    const freeze = S.freeze_at ? Date.parse(S.freeze_at) : null;
    const end = Date.parse(S.end_at);
    $("countdown-freeze").textContent = freeze && now < freeze ? `${L.to_freeze} ${span(freeze - now)}` : "";
    $("countdown-end").textContent = now < end ? `${L.to_end} ${span(end - now)}` : L.ended;
  }

  // --- live updates -------------------------------------------------------------------------
  function onBoard(data) {
    if (data.board === "final") return showFinal(data);
    const t = tasks.find((x) => x.slug === data.task);
    if (!t || data.board === "staff") return;
    // Once a task's private board is public, it is the one to show.
    if (data.board === "public" && t.board.board === "private") return;
    if (data.board === t.board.board && data.version < t.board.version) return;
    t.board = data;
    // Organizers may move the deadlines: the countdowns follow the board.
    S.freeze_at = data.freeze_at;
    S.end_at = data.end_at;
    tick();
    if (t === tasks[current]) render();
  }

  // The published final ranking (review + automatic) joins the rotation, shown at once.
  function showFinal(data) {
    let t = tasks.find((x) => x.slug === FINAL);
    if (!t) {
      t = { slug: FINAL, title: L.reveal_done, metric: "", reveal: null };
      tasks.push(t);
      $("task-dots").append(dot(t));
    }
    // The live answer to a subscribe is the ranking as stored, without awards: keep the ones
    // this page was given (the page's own copy, or a push after an award changed).
    if (t.board && data.rows.every((r) => !("awards" in r))) {
      const given = new Map(t.board.rows.map((r) => [r.team, r.awards]));
      data = { ...data, rows: data.rows.map((r) => ({ ...r, awards: given.get(r.team) || [] })) };
    }
    t.board = data;
    current = tasks.indexOf(t);
    render();
  }

  function onReveal(message) {
    const index = tasks.findIndex((x) => x.slug === message.task);
    if (index < 0) return;
    const t = tasks[index];
    if (t.reveal && t.reveal.step > message.step) return;
    t.reveal = message;
    current = index; // every projector follows the reveal
    render();
    if (message.finished) {
      // The private board is public now: show it whole (the push may have been missed).
      fetch(`/api/v1/events/${S.event}/leaderboard?board=private&task=${encodeURIComponent(t.slug)}`)
        .then((r) => (r.ok ? r.json() : null)).then((b) => b && onBoard(b));
    }
  }

  function onAnnouncement(item) {
    const text = $("ticker-text");
    text.textContent = item.message;
    text.classList.remove("fresh");
    void text.offsetWidth; // restart the animation
    text.classList.add("fresh");
  }

  async function revealNext() {
    if (!S.can_reveal || pending) return;
    pending = true;
    try {
      const reply = await fetch(`/api/v1/events/${S.event}/reveal`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content },
        body: JSON.stringify({ task: tasks[current].slug }),
      });
      const data = await reply.json();
      if (reply.ok) onReveal(data);
      else {
        $("reveal-banner").hidden = false;
        $("reveal-banner").textContent = data.error.message;
      }
    } finally {
      pending = false;
    }
  }

  // A task's dot in the ticker: its title on hover and for screen readers, never in the way.
  function dot(t) {
    const li = document.createElement("li");
    li.textContent = "●";
    li.title = t.title;
    li.setAttribute("aria-label", t.title);
    return li;
  }

  function go(delta) {
    current = (current + delta + tasks.length) % tasks.length;
    render();
  }

  document.addEventListener("keydown", (e) => {
    if (e.repeat) return;
    if (e.key === " " || e.key === "Enter" || e.key === "ArrowDown") { e.preventDefault(); revealNext(); }
    else if (e.key === "ArrowRight") go(1);
    else if (e.key === "ArrowLeft") go(-1);
    else if (e.key === "p" || e.key === "P") { paused = !paused; document.body.classList.toggle("paused", paused); }
    else if (e.key === "f" || e.key === "F") document.documentElement.requestFullscreen?.();
  });

  // --- start ------------------------------------------------------------------------------
  $("col-extra").dataset.label = $("col-extra").textContent;
  $("task-dots").replaceChildren(...tasks.map(dot));
  const started = tasks.findIndex(revealing);
  if (started >= 0) current = started;
  if (S.announcements.length) onAnnouncement(S.announcements[0]); else $("ticker-text").textContent = L.no_notice;
  render();
  if (S.final) showFinal(S.final);
  tick();
  setInterval(tick, 1000);
  if (S.rotate_seconds > 0 && tasks.length > 1) {
    setInterval(() => { if (!paused && !tasks.some(revealing)) go(1); }, S.rotate_seconds * 1000);
  }
  const socket = HJ.live((sock) => {
    const since = {};
    sock.emit("subscribe", { event: S.event, since });
    // A projector that was away catches up on the reveal it missed.
    tasks.forEach((t) => fetch(`/api/v1/events/${S.event}/reveal?task=${encodeURIComponent(t.slug)}`)
      .then((r) => r.json()).then((m) => {
        if (!m.started) return;
        if (m.finished) { t.reveal = m; if (t === tasks[current]) render(); } else onReveal(m);
      }));
  });
  socket.on("leaderboard", onBoard);
  socket.on("disconnect", showLive);
  socket.on("connect", showLive);
  socket.on("reveal", onReveal);
  socket.on("announcement", onAnnouncement);
})();
