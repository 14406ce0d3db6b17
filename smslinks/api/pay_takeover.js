// Inlined after the server-drawn pay page (#pay-ssr, see pay_html.py). The app's React page renders
// hidden behind it (pay.css: #pay-ssr ~ .pay); once React draws a real screen (its <main>, which
// replaces the loading placeholder) the server-drawn copy goes, before the next frame. A button
// pressed, text typed or a box ticked before then is handed on to React's copy (same ids): nothing is lost.
(() => {
  const drawn = document.getElementById("pay-ssr");
  if (!drawn) return;
  let pressed = null;
  drawn.addEventListener("click", (event) => {
    const button = event.target.closest("button[id]");
    if (button) pressed = button.id;
  });
  drawn.addEventListener("submit", (event) => {
    event.preventDefault();
    if (event.submitter?.id) pressed = event.submitter.id;
  });
  const takeOver = () => {
    const focused = drawn.contains(document.activeElement) ? document.activeElement.id : "";
    const inputs = [...drawn.querySelectorAll("input[id]")];
    const typed = inputs.filter((input) => input.type !== "checkbox" && input.value);
    const ticked = inputs.filter((input) => input.type === "checkbox" && input.checked);
    drawn.remove();
    for (const input of typed) {
      const twin = document.getElementById(input.id);
      if (twin && !twin.value) twin.value = input.value;
    }
    for (const box of ticked) {
      const twin = document.getElementById(box.id);
      if (twin && !twin.checked) twin.click(); // React's copy learns of it as a tick of its own
    }
    if (focused) document.getElementById(focused)?.focus();
    if (pressed) document.getElementById(pressed)?.click();
  };
  const watcher = new MutationObserver(() => {
    if ([...document.querySelectorAll("main.pay")].some((main) => !drawn.contains(main))) {
      watcher.disconnect();
      takeOver();
    }
  });
  watcher.observe(document.body, { childList: true, subtree: true });
})();
