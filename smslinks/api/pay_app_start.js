// Inlined last in the pay page's first response (api/pay_document.py). The app's module preloads and
// React Router's boot script arrive inert, so that nothing competes with the server-drawn first
// screen; once that screen is painted, pay.js runs (fetched meanwhile, with Stripe.js: it mounts the
// card field when the page has one, #pay-setup) and the app starts: its modules are asked for (at
// low priority: Stripe.js goes first) and a copy of the boot script runs.
(() => {
  const start = () => {
    if (document.getElementById("pay-setup")) import("/pay.js");
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
