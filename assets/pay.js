// The pay page's bridge to Stripe.js. Every function resolves to a plain object the page's state
// handlers receive; none of them decides anything. The same calls work with the real Stripe.js and
// with the sandbox Stripe's fake one.
// The server-drawn first screen (api/pay_document.py) runs this module itself once it is painted
// (pay_app_start.js), and names Stripe's setup in #pay-setup: the card field is mounted there at once, without waiting
// for the app, and moves into the app's copy of the page, with what was typed in it, when the app
// takes over (pay_takeover.js announces the moment). The app then finds Stripe.js and the card ready.

let stripe = null;
let card = null;
let mountedOn = null;
let loading = null;
let cardMounting = Promise.resolve(true);

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.async = true;
    script.onload = resolve;
    script.onerror = () => reject(new Error("Stripe.js did not load"));
    document.head.appendChild(script);
  });
}

// The app's element, else its server-drawn twin (#pay-ssr, api/pay_html.py) until the app takes over.
function findElement(selector) {
  const found = [...document.querySelectorAll(selector)];
  return found.find((element) => !element.closest("#pay-ssr")) || found[0];
}

function waitForElement(selector, timeoutMs = 10000) {
  return new Promise((resolve) => {
    const started = Date.now();
    const look = () => {
      const found = findElement(selector);
      if (found || Date.now() - started > timeoutMs) resolve(found);
      else requestAnimationFrame(look);
    };
    look();
  });
}

function failure(error) {
  return { error: { message: (error && error.message) || "", code: (error && (error.decline_code || error.code)) || "" } };
}

// Mount Stripe's card field unless it is on the page; one call at a time (the first screen's and the
// app's may overlap).
async function ensureCard(lang) {
  if (mountedOn && mountedOn.isConnected) return true;
  const target = await waitForElement("#card-element");
  if (!target) return false;
  if (card) {
    card.unmount(); // the page re-drew the form (e.g. after a partial payment): move the field
  } else {
    card = stripe.elements({ locale: lang }).create("card", {
      style: { base: { fontSize: "18px", color: "#0f172a", "::placeholder": { color: "#64748b" } } },
    });
  }
  card.mount(target);
  mountedOn = target;
  return true;
}

// Load Stripe.js and, when the page has a card form, mount Stripe's card field in it.
export async function start({ key, js, lang, withCard }) {
  try {
    if (!loading) {
      loading = (window.Stripe ? Promise.resolve() : loadScript(js)).then(() => {
        stripe = window.Stripe(key, { locale: lang });
      });
    }
    await loading;
    if (withCard) {
      const mount = () => ensureCard(lang);
      cardMounting = cardMounting.then(mount, mount);
      if (!(await cardMounting)) return { ready: false };
    }
    return { ready: true };
  } catch (error) {
    loading = null;
    return { ready: false };
  }
}

// The app took over from the server-drawn page: the card field moves into the app's copy, both
// still in the document. moveBefore keeps Stripe's frame (and what was typed) alive; where a browser
// lacks it, Stripe's own unmount and mount move the field.
function adoptCard() {
  const target = findElement("#card-element");
  if (!card || !mountedOn || !mountedOn.closest("#pay-ssr") || !target || target.closest("#pay-ssr")) return;
  if (typeof target.moveBefore === "function") {
    for (const child of [...mountedOn.childNodes]) target.moveBefore(child, null);
  } else {
    card.unmount();
    card.mount(target);
  }
  mountedOn = target;
}

// Every answer reaches the page, even when Stripe.js throws: the page must never stay "Processing…".
async function answer(work) {
  try {
    return await work();
  } catch (error) {
    return failure({ code: "stripe_js_error", message: "" });
  }
}

// The card as a Stripe PaymentMethod id; the server attaches it and confirms the charge.
export function cardMethod() {
  return answer(async () => {
    if (!stripe || !card) return failure({ code: "card_form_missing" });
    const result = await stripe.createPaymentMethod({ type: "card", card });
    return result.error ? failure(result.error) : { id: result.paymentMethod.id };
  });
}

// 3-D Secure (or another bank check) on an intent the server confirmed.
export function authenticate(clientSecret) {
  return answer(async () => {
    const result = await stripe.confirmCardPayment(clientSecret);
    return result.error ? failure(result.error) : { status: result.paymentIntent.status };
  });
}

// Stripe's bank connection dialog (instant verification, or routing and account numbers).
export function collectBank({ key, js, lang, clientSecret, name }) {
  return answer(async () => {
    const ready = await start({ key, js, lang, withCard: false });
    if (!ready.ready) return failure({ code: "stripe_unavailable" });
    const result = await stripe.collectBankAccountForPaymentIntent({
      clientSecret,
      params: { payment_method_type: "us_bank_account", payment_method_data: { billing_details: { name } } },
    });
    return result.error ? failure(result.error) : { status: result.paymentIntent.status };
  });
}

// The server-drawn first screen's setup: Stripe.js loaded and the card field mounted now. Resolves
// when that is done (or could not be): pay_app_start.js starts the app then.
function startFirstScreen() {
  const firstScreen = document.getElementById("pay-setup");
  if (!firstScreen) return Promise.resolve();
  const { key, js, lang, withCard } = JSON.parse(firstScreen.textContent);
  document.addEventListener("pay-takeover", adoptCard);
  return start({ key, js, lang, withCard });
}

export const firstScreenReady = startFirstScreen();
