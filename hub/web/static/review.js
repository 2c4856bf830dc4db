// Keyboard shortcuts on a review page (progressive enhancement; the form works without them):
// s = same, d = different, u = not sure; each picks the answer and moves to the note, where
// Enter records the decision.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("decide-form");
  if (!form) return;
  const note = form.querySelector("#note");
  const keys = { s: "same", d: "different", u: "not sure" };
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target instanceof HTMLInputElement && target.type === "text") return;
    if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return;
    const value = keys[event.key];
    if (!value) return;
    const choice = form.querySelector(`input[name=decision][value="${value}"]`);
    if (!choice) return;
    event.preventDefault();
    choice.checked = true;
    note.focus();
  });
});
