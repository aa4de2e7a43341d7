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

// Language tabs: every language's fields are in the form, one shown at a time, so a save
// carries them all. Without JavaScript they are all shown, one after another.
document.addEventListener("DOMContentLoaded", () => {
  for (const nav of document.querySelectorAll("[data-tabs]")) {
    const links = [...nav.querySelectorAll("[data-tab]")];
    const input = nav.closest("form")?.querySelector("input[name=tab]");
    const show = (code) => {
      for (const link of links) {
        const selected = link.dataset.tab === code;
        document.getElementById("lang-" + link.dataset.tab).hidden = !selected;
        if (selected) link.setAttribute("aria-current", "page");
        else link.removeAttribute("aria-current");
      }
      if (input) input.value = code;
    };
    for (const link of links) {
      link.addEventListener("click", (event) => {
        event.preventDefault();
        show(link.dataset.tab);
      });
    }
    const current = links.find((link) => link.hasAttribute("aria-current")) || links[0];
    if (current) show(current.dataset.tab);
  }
});
