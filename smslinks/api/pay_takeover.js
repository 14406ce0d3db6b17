// Inlined after the server-drawn pay page (#pay-ssr, see pay_html.py). Until the app takes over the
// page works as a plain one: its tabs switch, Stripe's card field is mounted in it (assets/pay.js,
// loaded by the page itself) and its fields take input. One tap on any other button is kept (the
// page then waits for the app, showing that button busy): what needs the server waits for the app.
// The app's React page renders hidden behind it (pay.css: #pay-ssr ~ .pay). Once React has drawn a
// real screen (its <main>, which replaces the loading placeholder) showing the tab chosen here (a
// tab chosen here is chosen in React's copy too, a server round trip), the server-drawn copy goes,
// before the next frame, and everything is handed on to React's copy (same ids): typed text, ticked
// boxes, the focus, Stripe's card field with what was typed in it, then the kept tap. Nothing is lost:
// - the focused field is visible in React's copy, so typing goes on there;
// - a press under way (a finger or mouse button down, Space held on a button) ends on the page it
//   began on: the takeover waits for its click, since browsers drop a click whose pressed element is gone.
(() => {
  const drawn = document.getElementById("pay-ssr");
  if (!drawn) return;
  const words = JSON.parse(document.getElementById("pay-setup")?.textContent || "{}").words || {};
  let pressed = null;
  const chooseTab = (tab) => {
    for (const other of drawn.querySelectorAll('[role="tab"]')) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      const panel = document.getElementById(other.getAttribute("aria-controls"));
      if (panel) panel.hidden = !selected;
    }
  };
  const keep = (button) => {
    if (pressed) return;
    pressed = button.id;
    for (const other of drawn.querySelectorAll("button")) other.disabled = true;
    button.setAttribute("aria-busy", "true");
    if (words[button.id]) button.textContent = words[button.id];
  };
  drawn.addEventListener("click", (event) => {
    const button = event.target.closest("button[id]");
    if (!button || button.disabled) return;
    if (button.getAttribute("role") === "tab") chooseTab(button);
    else if (button.type !== "submit") keep(button); // a submit button's tap arrives as a submit
  });
  drawn.addEventListener("submit", (event) => {
    event.preventDefault();
    if (event.submitter?.id) keep(event.submitter);
  });

  let pressing = false;
  let patience = 0;
  const pressEnded = (afterMs) => {
    clearTimeout(patience);
    patience = setTimeout(() => {
      pressing = false;
      takeOverWhenReady();
    }, afterMs);
  };
  const pressBegan = () => {
    pressing = true;
    pressEnded(1500); // a long press or a drag must not keep the app out
  };
  drawn.addEventListener("pointerdown", pressBegan);
  drawn.addEventListener("keydown", (event) => event.key === " " && pressBegan());
  drawn.addEventListener("pointerup", () => pressEnded(300)); // its click, if any, comes by then
  for (const end of ["click", "pointercancel", "keyup"]) drawn.addEventListener(end, () => pressEnded(0));

  const appCopy = () => [...document.querySelectorAll("main.pay")].find((main) => !drawn.contains(main));
  const selectedTab = (root) => root.querySelector('[role="tab"][aria-selected="true"]');
  let tabAsked = null;
  let tabAnswerLate = false;
  // React's copy shows the tab chosen here; if not, it is asked to (once per choice) and we wait,
  // 5 s at most: an answer lost on the way must not keep the app out.
  const sameTab = (app) => {
    const wanted = selectedTab(drawn)?.id;
    const shown = selectedTab(app)?.id;
    const twin = wanted && app.querySelector(`#${wanted}`);
    if (!twin || tabAnswerLate) return true; // no such tab there (the invoice was paid meanwhile, say)
    if (shown === wanted && (tabAsked === null || tabAsked === wanted)) return true;
    if (tabAsked !== wanted) {
      if (tabAsked === null) setTimeout(() => ((tabAnswerLate = true), takeOverWhenReady()), 5000);
      tabAsked = wanted;
      twin.click(); // hidden, but React hears it
    }
    return false;
  };
  const takeOverWhenReady = () => {
    const app = appCopy();
    if (!drawn.isConnected || pressing || !app || !sameTab(app)) return;
    watcher.disconnect();
    takeOver();
  };
  const takeOver = () => {
    const focused = drawn.contains(document.activeElement) ? document.activeElement.id : "";
    const inputs = [...drawn.querySelectorAll("input[id]")];
    const typed = inputs.filter((input) => input.type !== "checkbox" && input.value);
    const ticked = inputs.filter((input) => input.type === "checkbox" && input.checked);
    // Stripe's card field moves (assets/pay.js listens) while both copies are in the document.
    document.dispatchEvent(new CustomEvent("pay-takeover"));
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
  const watcher = new MutationObserver(takeOverWhenReady);
  watcher.observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ["aria-selected"] });
})();
