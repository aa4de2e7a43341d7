// Live preview of a campaign as a phone would show it: a moment after the editor stops
// typing, the server renders the language's texts as the public API serves them (nothing
// is saved). Texts are set as text; only body_html, which the server sanitised, as HTML.
document.addEventListener("DOMContentLoaded", () => {
  const phone = document.querySelector("[data-preview-url]");
  const form = document.getElementById("campaign-form");
  if (!phone || !form) return;
  const fields = [...form.querySelectorAll("[data-preview]")];
  const token = form.querySelector("input[name=csrf_token]").value;
  const byId = (id) => document.getElementById(id);
  const problem = byId("preview-problem");
  let timer = null;
  let latest = 0;

  const texts = () => {
    const body = { locale: phone.dataset.locale };
    for (const field of fields) {
      const name = field.dataset.preview;
      // as a save reads them: an empty button label or link is none
      body[name] = name.startsWith("cta_") ? field.value.trim() || null : field.value;
    }
    return body;
  };

  const complain = (messages) => {
    problem.textContent = messages.join(" ");
    problem.hidden = messages.length === 0;
  };

  const show = (shown) => {
    byId("preview-title").textContent = shown.title;
    byId("preview-summary").textContent = shown.summary;
    byId("preview-body").innerHTML = shown.body_html; // sanitised by the server
    const image = byId("preview-image");
    image.alt = shown.image_alt;
    if (shown.image_url) image.src = shown.image_url;
    else image.removeAttribute("src");
    image.hidden = !shown.image_url;
    const cta = shown.call_to_action;
    byId("preview-cta-box").hidden = !cta;
    byId("preview-cta").textContent = cta ? cta.label : "";
    byId("preview-cta").href = cta ? cta.url : "";
    byId("preview-cta-url").textContent = cta ? cta.url : "";
  };

  const refresh = async () => {
    const asked = ++latest;
    let answer = null;
    let data = null;
    try {
      answer = await fetch(phone.dataset.previewUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify(texts()),
        credentials: "same-origin",
      });
      const json = (answer.headers.get("Content-Type") || "").includes("json");
      data = json ? await answer.json() : null;
    } catch {
      data = null;
    }
    if (asked !== latest) return; // a later call is on its way
    if (answer && answer.ok && data) {
      complain([]);
      show(data);
    } else if (data && data.errors) {
      // a problem by field: named by the field's label, in the page's language
      complain(
        Object.entries(data.errors).map(([name, messages]) => {
          const label = document.querySelector(`label[for="f-${name}"]`);
          return (label ? label.textContent + ": " : "") + messages.join(" ");
        }),
      );
    } else {
      complain([(data && data.detail) || phone.dataset.previewFailed]);
    }
  };

  for (const field of fields) {
    field.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
  }
  // a refused save shows what was typed, the preview the saved texts: show the typed ones
  if (form.querySelector("[data-preview][aria-invalid]")) refresh();
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
