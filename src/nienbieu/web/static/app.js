// Progressive help only: every page works without it. A cited sentence opened by its link gets
// the keyboard focus, so reading goes on from there.
document.addEventListener("DOMContentLoaded", () => {
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target) target.focus({ preventScroll: false });
});

// The TimelineJS view: its slides are made from our own TimelineJS export of the same timeline.
document.addEventListener("DOMContentLoaded", () => {
  const embed = document.getElementById("timeline-embed");
  if (!embed || !window.TL) return;
  fetch(embed.dataset.source)
    .then((reply) => reply.json())
    .then((data) => {
      window.nienbieuTimeline = new window.TL.Timeline(embed, data, {
        script_path: embed.dataset.scriptPath,
        language: "vi",
        font: null,
        hash_bookmark: false,
      });
    });
});
