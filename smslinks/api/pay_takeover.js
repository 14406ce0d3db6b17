// Inlined after the server-drawn pay page (#pay-ssr, see pay_html.py). Until the app takes over the
// page works as a plain one: its tabs switch, Stripe's card field is mounted in it (assets/pay.js,
// loaded by the page itself) and its fields take input. One tap on any other button is kept (the
// page then waits for the app, showing that button busy): what needs the server waits for the app.
// The app's React page renders hidden behind it (pay.css: #pay-ssr ~ .pay); once React draws a real
// screen (its <main>, which replaces the loading placeholder) the server-drawn copy goes, before the
// next frame, and everything is handed on to React's copy (same ids): the chosen tab, typed text,
// ticked boxes, Stripe's card field with what was typed in it, then the kept tap. Nothing is lost.
// A press under way (a finger or mouse button down, Space held on a button) ends on the page it began
// on: the takeover waits for its click, since browsers drop a click whose pressed element is gone.
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
  let takeoverDue = false;
  let patience = 0;
  const pressEnded = (afterMs) => {
    clearTimeout(patience);
    patience = setTimeout(() => {
      pressing = false;
      if (takeoverDue) takeOver();
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
  const takeOver = () => {
    if (!drawn.isConnected) return;
    const focused = drawn.contains(document.activeElement) ? document.activeElement.id : "";
    const tab = drawn.querySelector('[role="tab"][aria-selected="true"]');
    const inputs = [...drawn.querySelectorAll("input[id]")];
    const typed = inputs.filter((input) => input.type !== "checkbox" && input.value);
    const ticked = inputs.filter((input) => input.type === "checkbox" && input.checked);
    // Stripe's card field moves (assets/pay.js listens) while both copies are in the document.
    document.dispatchEvent(new CustomEvent("pay-takeover"));
    drawn.remove();
    const twinTab = tab && document.getElementById(tab.id);
    if (twinTab && twinTab.getAttribute("aria-selected") !== "true") twinTab.click();
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
    if ([...document.querySelectorAll("main.pay")].some((main) => !main.closest("#pay-ssr"))) {
      watcher.disconnect();
      if (pressing) takeoverDue = true;
      else takeOver();
    }
  });
  watcher.observe(document.body, { childList: true, subtree: true });
})();
