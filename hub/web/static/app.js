// Progressive enhancement only: every page works without it.
// Ticking a facet box applies the filters at once.
document.addEventListener("DOMContentLoaded", () => {
  const filters = document.getElementById("filters");
  if (!filters) return;
  filters.querySelectorAll("fieldset.facet input[type=checkbox]").forEach((box) => {
    box.addEventListener("change", () => filters.requestSubmit());
  });
});
