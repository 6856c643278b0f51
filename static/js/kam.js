// Small progressive enhancements; no inline scripts anywhere (CSP).
document.documentElement.classList.add("js");
document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-autosubmit]");
  if (form) form.requestSubmit();
});
// A 360 section reached by its link (or a URL ending in #name) loads at once: when
// the sections above it grow as they load, the jump's target can leave the viewport
// before its "intersect" trigger saw it.
function loadSectionFromHash() {
  const id = decodeURIComponent(location.hash.slice(1));
  const section = id && document.getElementById(id);
  if (section && section.matches("[data-panel][hx-get]")) {
    htmx.trigger(section, "kam:show");
  }
}
window.addEventListener("hashchange", loadSectionFromHash);
document.addEventListener("DOMContentLoaded", loadSectionFromHash);
// A form that asks before it does something that cannot be undone (data-confirm).
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
