/*
 * smslinks sandbox: appended to localstripe's fake Stripe.js (see stripe_server.py). Adds what the
 * app calls on the real Stripe.js and the fake lacks, answering in Stripe.js's shapes:
 *   stripe.createPaymentMethod({type: 'card', card: cardElement, billing_details})
 *   stripe.collectBankAccountForPaymentIntent({clientSecret, params})  (a sandbox bank dialog: pick a
 *     test account "after a bank login", or one "entered by hand" that needs microdeposits)
 * and gives the fake card form's inputs labels, as Stripe's own card form has.
 */
(function () {
  const makeLocalStripe = Stripe;

  const CARD_FIELDS = {
    number: ['Card number', 'cc-number', 'Card number'],
    exp_month: ['Expiration month', 'cc-exp-month', 'MM'],
    exp_year: ['Expiration year', 'cc-exp-year', 'YY'],
    cvc: ['Security code', 'cc-csc', 'CVC'],
    postal_code: ['ZIP code', 'postal-code', 'ZIP'],
  };

  // [account number, what happens, how it was verified]
  const TEST_ACCOUNTS = [
    ['000123456789', 'Test account: the payment succeeds', 'instant'],
    ['000222222227', 'Test account: fails, insufficient funds', 'instant'],
    ['000111111113', 'Test account: fails, account closed', 'instant'],
    ['000123456789', 'Entered by hand: verify with microdeposits', 'microdeposits'],
  ];

  async function post(path, body) {
    try {
      const response = await fetch(LOCALSTRIPE_BASE_API + path, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      const json = await response.json().catch(() => ({}));
      if (response.status !== 200 || json.error) {
        return {error: json.error || {message: 'The sandbox Stripe server refused the request.'}};
      }
      return {result: json};
    } catch (err) {
      return {error: {type: 'api_connection_error', message: 'Could not reach the sandbox Stripe server.'}};
    }
  }

  function labelCardForm(element) {
    const [caption] = element._domChildren || [];
    if (caption) {
      caption.textContent = 'Sandbox card';
      caption.className = 'sandbox-card-caption';
    }
    Object.entries(element._inputs || {}).forEach(([field, input]) => {
      const [label, autocomplete, placeholder] = CARD_FIELDS[field];
      input.setAttribute('aria-label', label);
      input.setAttribute('autocomplete', autocomplete);
      input.setAttribute('inputmode', 'numeric');
      input.setAttribute('placeholder', placeholder);
      input.setAttribute('name', field);
      input.className = 'sandbox-card-input sandbox-card-' + field;
    });
  }

  function incomplete(card) {
    const number = (card.number || '').replace(/\D/g, '');
    const month = parseInt(card.exp_month, 10);
    if (number.length !== 16) return ['incomplete_number', 'Your card number is incomplete.'];
    if (!(month >= 1 && month <= 12) || !/^20\d\d$/.test(card.exp_year || '')) {
      return ['incomplete_expiry', "Your card's expiration date is incomplete."];
    }
    if (!/^\d{3}$/.test(card.cvc || '')) return ['incomplete_cvc', "Your card's security code is incomplete."];
    return null;
  }

  function bankDialog(holder) {
    return new Promise((resolve) => {
      const backdrop = document.createElement('div');
      Object.assign(backdrop.style, {
        position: 'fixed', inset: '0', background: 'rgba(15, 23, 42, 0.55)', display: 'flex',
        alignItems: 'center', justifyContent: 'center', padding: '16px', zIndex: '1000',
      });
      const dialog = document.createElement('div');
      dialog.setAttribute('role', 'dialog');
      dialog.setAttribute('aria-modal', 'true');
      dialog.setAttribute('aria-labelledby', 'sandbox-bank-title');
      Object.assign(dialog.style, {
        background: '#fff', color: '#0f172a', borderRadius: '12px', padding: '20px', width: '100%',
        maxWidth: '420px', maxHeight: '100%', overflowY: 'auto', font: '16px/1.45 system-ui, sans-serif',
      });
      const options = TEST_ACCOUNTS.map(([account, label], index) => `
        <label style="display:flex;gap:10px;align-items:flex-start;padding:10px 0;min-height:44px">
          <input type="radio" name="sandbox-account" value="${index}" ${index === 0 ? 'checked' : ''}
                 style="width:22px;height:22px;margin:2px 0 0">
          <span>STRIPE TEST BANK •••• ${account.slice(-4)}<br>
            <small style="color:#475569">${label}</small></span>
        </label>`).join('');
      dialog.innerHTML = `
        <h2 id="sandbox-bank-title" style="margin:0 0 6px;font-size:20px;font-weight:700">Sandbox bank</h2>
        <p style="margin:0 0 12px;color:#475569">Stands in for Stripe's bank connection in sandbox mode.
          Account holder: <strong></strong>. Routing number 110000000.</p>
        <fieldset style="border:0;padding:0;margin:0 0 16px">
          <legend style="font-weight:600;margin-bottom:4px">Choose an account</legend>${options}
        </fieldset>
        <div style="display:flex;gap:12px;flex-wrap:wrap">
          <button type="button" data-choice="connect" style="flex:1;min-height:48px;border:0;border-radius:8px;
            background:#0f766e;color:#fff;font:600 16px system-ui">Connect account</button>
          <button type="button" data-choice="cancel" style="flex:1;min-height:48px;border:1px solid #94a3b8;
            border-radius:8px;background:#fff;color:#0f172a;font:600 16px system-ui">Cancel</button>
        </div>`;
      dialog.querySelector('strong').textContent = holder;
      const finish = (choice) => {
        document.removeEventListener('keydown', onKey);
        backdrop.remove();
        resolve(choice);
      };
      const onKey = (event) => { if (event.key === 'Escape') finish(null); };
      dialog.querySelector('[data-choice=cancel]').addEventListener('click', () => finish(null));
      dialog.querySelector('[data-choice=connect]').addEventListener('click', () => {
        finish(TEST_ACCOUNTS[dialog.querySelector('input[name=sandbox-account]:checked').value]);
      });
      document.addEventListener('keydown', onKey);
      backdrop.appendChild(dialog);
      document.body.appendChild(backdrop);
      dialog.querySelector('input').focus();
    });
  }

  Stripe = (apiKey, options) => {
    const stripe = makeLocalStripe(apiKey, options);
    const makeElements = stripe.elements;

    stripe.elements = (elementsOptions) => {
      const elements = makeElements(elementsOptions);
      const create = elements.create;
      elements.create = function (type, createOptions) {
        const element = create.call(this, type, createOptions);
        const mount = element.mount.bind(element);
        element.mount = (target) => {
          mount(target);
          labelCardForm(element);
        };
        return element;
      };
      return elements;
    };

    stripe.createPaymentMethod = async (params) => {
      const element = params && params.card;
      if (!element || !element.value) {
        return {error: {type: 'validation_error', code: 'incomplete_number', message: 'Your card number is incomplete.'}};
      }
      const card = Object.assign({}, element.value.card);
      card.number = (card.number || '').replace(/\D/g, '');
      const problem = incomplete(card);
      if (problem) return {error: {type: 'validation_error', code: problem[0], message: problem[1]}};
      const billing = Object.assign({}, params.billing_details);
      billing.address = Object.assign({postal_code: element.value.postal_code}, billing.address);
      const answer = await post('/v1/payment_methods', {key: apiKey, type: 'card', card, billing_details: billing});
      return answer.error ? {error: answer.error} : {paymentMethod: answer.result};
    };

    stripe.collectBankAccountForPaymentIntent = async ({clientSecret, params}) => {
      const intentId = clientSecret.match(/^(pi_\w+)_secret_/)[1];
      const billing = (params && params.payment_method_data && params.payment_method_data.billing_details) || {};
      if (!billing.name) {
        return {error: {type: 'validation_error', message: 'The account holder name is required.'}};
      }
      const choice = await bankDialog(billing.name);
      if (!choice) return {paymentIntent: {id: intentId, status: 'requires_payment_method'}};
      const answer = await post(`/v1/payment_intents/${intentId}/_sandbox_attach_bank_account`, {
        key: apiKey, client_secret: clientSecret, routing_number: '110000000', account_number: choice[0],
        verification: choice[2], billing_details: billing,
      });
      return answer.error ? {error: answer.error} : {paymentIntent: answer.result};
    };

    return stripe;
  };
})();
