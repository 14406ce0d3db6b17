// Inlined last in the pay page's first response (api/pay_document.py). Nothing of the app loads until
// the server-drawn first screen is painted: its module preloads and React Router's boot script arrive
// inert. Once it is painted, a payable page runs pay.js (#pay-setup; it and Stripe.js were fetched
// since the start), which mounts the card field; the app starts when that is done (at most a few
// seconds later): on a slow line its 180 KB would otherwise share the bandwidth with them. The app's
// modules are then asked for at low priority and a copy of the boot script runs.
(() => {
  const startApp = () => {
    for (const inert of document.querySelectorAll('link[rel="modulepreload"][media="not all"]')) {
      const link = document.createElement("link");
      link.rel = "modulepreload";
      link.href = inert.getAttribute("href");
      link.fetchPriority = "low";
      document.head.append(link);
    }
    const boot = document.querySelector('script[type="text/x-app-boot"]');
    if (!boot) return;
    const script = document.createElement("script");
    script.type = "module";
    script.textContent = boot.textContent;
    document.body.append(script);
  };
  const start = () => {
    if (!document.getElementById("pay-setup")) return startApp();
    const firstScreenReady = import("/pay.js").then((payJs) => payJs.firstScreenReady, () => null);
    const patience = new Promise((resolve) => setTimeout(resolve, 3000)); // a stalled script must not keep the app out
    Promise.race([firstScreenReady, patience]).then(startApp);
  };
  const painted = () => performance.getEntriesByName("first-contentful-paint").length > 0;
  if (painted() || !PerformanceObserver.supportedEntryTypes?.includes("paint")) {
    // The screen above is whole now; the next frame shows it, and the app starts after that frame.
    requestAnimationFrame(() => setTimeout(start, 0));
    return;
  }
  // The first paint is still to come (the usual case: the page is parsed before it paints): the app
  // starts as soon as the browser reports it.
  new PerformanceObserver((_entries, observer) => {
    if (!painted()) return;
    observer.disconnect();
    start();
  }).observe({ type: "paint" });
})();
