// Lianshi: small progressive enhancements; every page works without this file.
document.addEventListener("change", (e) => {
  const el = e.target;
  if (el instanceof HTMLSelectElement && el.form && el.form.dataset.autosubmit !== undefined) {
    el.form.requestSubmit();
  }
});
