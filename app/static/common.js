// Shared helpers of the board and team pages.
"use strict";
window.HJ = {
  time(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString(window.HJ_LOCALE === "en" ? "en-GB" : "ko-KR", {
      timeZone: window.HJ_TZ || "Asia/Seoul", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
  },
  clock(ms, seconds = false) {
    return new Date(ms).toLocaleTimeString(window.HJ_LOCALE === "en" ? "en-GB" : "ko-KR", {
      timeZone: window.HJ_TZ || "Asia/Seoul", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      ...(seconds ? { second: "2-digit" } : {}),
    });
  },
  score(value, decimals) {
    return value === null || value === undefined ? "" : Number(value).toFixed(decimals ?? 5);
  },
  cell(text) { const td = document.createElement("td"); td.textContent = text; return td; },
  live(onConnect) {
    const socket = io("/live", { transports: ["websocket", "polling"] });
    const badge = document.getElementById("live-status");
    socket.on("connect", () => { if (badge) { badge.textContent = badge.dataset.live; badge.className = "badge live"; } onConnect(socket); });
    socket.on("disconnect", () => { if (badge) { badge.textContent = badge.dataset.offline; badge.className = "badge"; } });
    // Organizers' announcements reach every live page as a banner.
    socket.on("announcement", (item) => {
      let banner = document.getElementById("announcement");
      if (!banner) {
        banner = document.createElement("p");
        banner.id = "announcement";
        banner.className = "announcement";
        banner.setAttribute("role", "status");
        document.querySelector("main").prepend(banner);
      }
      banner.textContent = `📢 ${item.message}`;
    });
    return socket;
  },
};
