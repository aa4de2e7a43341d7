// Live preview of a campaign as a phone would show it (plain text; the server renders
// and sanitises the real Markdown).
document.addEventListener("DOMContentLoaded", () => {
  for (const field of document.querySelectorAll("[data-preview]")) {
    const target = document.getElementById("preview-" + field.dataset.preview);
    if (!target) continue;
    const update = () => { target.textContent = field.value; };
    field.addEventListener("input", update);
  }
});
