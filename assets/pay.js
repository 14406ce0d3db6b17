// The pay page's bridge to Stripe.js. Loaded (as a module) only once the invoice is on screen, and it
// loads Stripe.js then: the page is readable before any payment script arrives. Every function
// resolves to a plain object the page's state handlers receive; none of them decides anything.
// The same calls work with the real Stripe.js and with the sandbox Stripe's fake one.

let stripe = null;
let card = null;
let mountedOn = null;
let loading = null;

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

// The app's element, not its server-drawn twin (#pay-ssr, api/pay_html.py), which may still be on
// screen for a moment and is then removed.
function waitForElement(selector, timeoutMs = 10000) {
  return new Promise((resolve) => {
    const started = Date.now();
    const look = () => {
      const found = [...document.querySelectorAll(selector)].find((element) => !element.closest("#pay-ssr"));
      if (found || Date.now() - started > timeoutMs) resolve(found);
      else requestAnimationFrame(look);
    };
    look();
  });
}

function failure(error) {
  return { error: { message: (error && error.message) || "", code: (error && (error.decline_code || error.code)) || "" } };
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
    if (withCard && !(mountedOn && mountedOn.isConnected)) {
      const target = await waitForElement("#card-element");
      if (!target) return { ready: false };
      if (card) {
        card.unmount(); // the page re-drew the form (e.g. after a partial payment): move the field
      } else {
        card = stripe.elements({ locale: lang }).create("card", {
          style: { base: { fontSize: "18px", color: "#0f172a", "::placeholder": { color: "#64748b" } } },
        });
      }
      card.mount(target);
      mountedOn = target;
    }
    return { ready: true };
  } catch (error) {
    loading = null;
    return { ready: false };
  }
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
