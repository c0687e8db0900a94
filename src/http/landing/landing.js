// Copy buttons, and the builder refreshing the URL and snippets as you type: it fetches this same
// page for the form's values and swaps in the result, so the snippets come from the server only.
(() => {
  const form = document.getElementById("builder");
  const reveal = () => document.querySelectorAll("button.copy[hidden]").forEach((b) => { b.hidden = false; });
  reveal();
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.copy");
    if (!button) return;
    const text = button.closest(".snippet").querySelector("pre").textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select and copy";
    }
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });
  let latest = 0;
  let timer;
  const update = async () => {
    const query = new URLSearchParams(new FormData(form)).toString();
    const mine = ++latest;
    const response = await fetch(`/?${query}`, { headers: { accept: "text/html" } });
    if (!response.ok || mine !== latest) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const id of ["result", "clients"]) {
      const next = fresh.getElementById(id);
      if (next) document.getElementById(id).replaceWith(document.adoptNode(next));
    }
    reveal();
    history.replaceState(null, "", `/?${query}`);
  };
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 150); });
  form.addEventListener("submit", (event) => { event.preventDefault(); update(); });
})();
