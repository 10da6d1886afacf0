// Lianshi: small progressive enhancements; every page works without this file.
document.addEventListener("change", (e) => {
  const el = e.target;
  if (el instanceof HTMLSelectElement && el.form && el.form.dataset.autosubmit !== undefined) {
    el.form.requestSubmit();
  }
});
// "Back" on error pages: shown only when there is a page to go back to.
document.addEventListener("DOMContentLoaded", () => {
  for (const a of document.querySelectorAll("a[data-back]")) {
    if (window.history.length > 1) {
      a.hidden = false;
      a.addEventListener("click", (e) => { e.preventDefault(); window.history.back(); });
    }
  }
});
