// Progressive help only: every page works without it. A cited sentence opened by its link gets
// the keyboard focus, so reading goes on from there.
document.addEventListener("DOMContentLoaded", () => {
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target) target.focus({ preventScroll: false });
});
