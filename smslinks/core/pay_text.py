"""Every word a customer reads on the pay page, in its receipt and in the ACH mandate: English and
Spanish side by side, so a string cannot exist in one language only (a unit test checks the keys).

Templates use str.format placeholders; the page fills them with live values (see pages/pay.py).
"""

from datetime import date

from smslinks.core import display
from smslinks.core.sms_text import plain_name

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"

# The ACH authorization the customer accepts. Change the wording => bump the version: stored
# mandates name the version (and keep the exact text) they were accepted under.
MANDATE_VERSION = "ach-one-time-2026-11"

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "language_name": "English",
        "switch_language": "Language",
        "tab_title": "Pay your invoice",
        "page_title": "Pay invoice #{number}",
        "invoice": "Invoice",
        "invoice_number": "Invoice #{number}",
        "issued_on": "Date",
        "due_on": "Due",
        "service_address": "Service address",
        "description": "Description",
        "quantity": "Qty",
        "amount": "Amount",
        "subtotal": "Subtotal",
        "tax": "Tax",
        "total": "Total",
        "amount_paid": "Amount paid",
        "balance_due": "Balance due",
        "tab_card": "Credit Card",
        "tab_ach": "ACH",
        "pay_methods": "Payment method",
        # The same promise the text message made (core/sms_text.py), word for word.
        "card_intro": "Pay securely by card",
        "ach_intro": "Pay from your bank account (ACH)",
        "card_details": "Card details",
        # Stored word for word with the card as the customer's consent (core/saved_cards.py).
        "save_card": "Save this card for future invoices from {business}",
        "saved_card_title": "Your saved card",
        "saved_card_pay": "Pay with {card}",
        "saved_card_hint": "One tap pays {amount} with the card you saved.",
        "saved_card_remove": "Remove saved card",
        "saved_card_removed": "Your saved card was removed. It will not be charged again.",
        "other_card": "Or pay with another card",
        "saved_card_gone": "Your saved card can no longer be used here. Pay with another card.",
        "card_loading": "Loading the secure card form…",
        "card_unavailable": "The card form could not load. Check your connection and reload the page.",
        "pay_button": "Pay {amount}",
        "paying": "Processing…",
        "pay_other_amount": "Pay another amount",
        "pay_full_balance": "Pay the full balance",
        "amount_to_pay": "Amount to pay",
        "amount_hint": "Between $1.00 and {balance}",
        "secure_note": "Payments are processed securely by Stripe. Your card and bank details never touch our servers.",
        "help_line": "Questions? Call {business} at {phone}.",
        "account_holder": "Name on the bank account",
        "connect_bank": "Connect bank account",
        "connecting_bank": "Opening your bank…",
        "bank_account": "Bank account",
        "change_bank": "Use a different account",
        "mandate_heading": "Authorization",
        "mandate_accept": "I authorize this one-time bank debit.",
        "ach_timing": "Bank payments take up to 4 business days.",
        "processing_title": "Payment processing",
        "processing_body": "Bank payments take up to 4 business days. We'll send you a receipt when it clears.",
        "processing_amount": "{amount} from {method}",
        "verify_title": "Verify your bank account",
        "verify_body": (
            "Stripe is sending two small deposits to your account. They arrive in 1-2 business days: "
            "enter their amounts on the verification page to finish the payment."
        ),
        "verify_link": "Open the verification page",
        "confirmed_title": "Payment received",
        "confirmed_body": "Thank you! {amount} was paid with {method}.",
        "receipt_sms": "A receipt is on its way by text message.",
        "receipt_email": "A receipt is on its way by email.",
        "remaining_balance": "Remaining balance: {balance}",
        "pay_rest": "Pay the remaining balance",
        "paid_title": "This invoice is paid",
        "paid_body": "Thank you! Nothing is due.",
        "payments": "Payments",
        "expired_title": "This payment link has expired",
        "expired_body": "For your security, payment links work for a limited time.",
        "expired_call": "Call {business} at {phone} and ask for a new link.",
        "expired_generic": "Contact the business that sent it to you and ask for a new link.",
        "relink_button": "Text me a new link",
        "relink_sent": "If this link was texted to you, a new one is on its way to the same number.",
        "revoked_title": "This payment link is no longer active",
        "revoked_body": "{business} replaced or cancelled this link.",
        "void_title": "This invoice was cancelled",
        "void_body": "There is nothing to pay on it.",
        "call_for_help": "Questions? Call {business} at {phone}.",
        "call_button": "Call {phone}",
        "no_online_payment": "This invoice can't be paid online. Call {business} at {phone} to pay.",
        "throttled_title": "Too many attempts",
        "throttled_body": (
            "This device opened too many links that don't work. Wait {minutes} minutes, then open the "
            "link exactly as it was sent to you."
        ),
        "loading": "Loading your invoice…",
        "tip_title": "Add a tip for your technician?",
        "tip_none": "No tip",
        "tip_custom": "Custom",
        "tip_custom_label": "Tip amount",
        "tip_line": "Includes a {tip} tip for your technician.",
        "tip_invalid": "Enter a tip in dollars, like 5.00.",
        "tip_too_large": "A tip can be at most {total}.",
        # Refusals (core/payments.PaymentRefused codes)
        "amount_invalid": "Enter an amount in dollars, like 25.00.",
        "amount_too_small": "The smallest payment is $1.00.",
        "amount_too_large": "You can pay at most {balance}.",
        "method_not_accepted": "This payment method is not accepted for this invoice.",
        "already_processing": "A bank payment for this invoice is already processing.",
        "nothing_due": "Nothing is due on this invoice.",
        "name_required": "Enter the name on the bank account.",
        "mandate_required": "Check the box to authorize the debit.",
        "bank_not_connected": "Connect a bank account first.",
        "unavailable": "We could not reach the payment processor. Wait a minute and try again.",
        "authentication_failed": "Your bank could not confirm this payment. Try again or use another card.",
        "declined": "Your card was declined. Try another card.",
        "bank_declined": "Your bank declined the debit. Try another account or pay by card.",
        "session_reset": "Please reload this page and try again.",
    },
    "es": {
        "language_name": "Español",
        "switch_language": "Idioma",
        "tab_title": "Pague su factura",
        "page_title": "Pagar factura #{number}",
        "invoice": "Factura",
        "invoice_number": "Factura #{number}",
        "issued_on": "Fecha",
        "due_on": "Vence",
        "service_address": "Dirección del servicio",
        "description": "Descripción",
        "quantity": "Cant.",
        "amount": "Importe",
        "subtotal": "Subtotal",
        "tax": "Impuesto",
        "total": "Total",
        "amount_paid": "Monto pagado",
        "balance_due": "Saldo pendiente",
        "tab_card": "Tarjeta de crédito",
        "tab_ach": "ACH",
        "pay_methods": "Forma de pago",
        "card_intro": "Pague de forma segura con tarjeta",
        "ach_intro": "Pague desde su cuenta bancaria (ACH)",
        "card_details": "Datos de la tarjeta",
        "save_card": "Guardar esta tarjeta para futuras facturas de {business}",
        "saved_card_title": "Su tarjeta guardada",
        "saved_card_pay": "Pagar con {card}",
        "saved_card_hint": "Con un toque paga {amount} con la tarjeta que guardó.",
        "saved_card_remove": "Eliminar tarjeta guardada",
        "saved_card_removed": "Su tarjeta guardada fue eliminada. No se le volverá a cobrar.",
        "other_card": "O pague con otra tarjeta",
        "saved_card_gone": "Su tarjeta guardada ya no se puede usar aquí. Pague con otra tarjeta.",
        "card_loading": "Cargando el formulario seguro de tarjeta…",
        "card_unavailable": "No se pudo cargar el formulario de tarjeta. Revise su conexión y recargue la página.",
        "pay_button": "Pagar {amount}",
        "paying": "Procesando…",
        "pay_other_amount": "Pagar otro monto",
        "pay_full_balance": "Pagar el saldo completo",
        "amount_to_pay": "Monto a pagar",
        "amount_hint": "Entre $1.00 y {balance}",
        "secure_note": (
            "Los pagos se procesan de forma segura con Stripe. Los datos de su tarjeta y de su banco "
            "nunca pasan por nuestros servidores."
        ),
        "help_line": "¿Preguntas? Llame a {business} al {phone}.",
        "account_holder": "Nombre del titular de la cuenta",
        "connect_bank": "Conectar cuenta bancaria",
        "connecting_bank": "Abriendo su banco…",
        "bank_account": "Cuenta bancaria",
        "change_bank": "Usar otra cuenta",
        "mandate_heading": "Autorización",
        "mandate_accept": "Autorizo este débito bancario único.",
        "ach_timing": "Los pagos bancarios tardan hasta 4 días hábiles.",
        "processing_title": "Pago en proceso",
        "processing_body": (
            "Los pagos bancarios tardan hasta 4 días hábiles. Le enviaremos un recibo cuando se acredite."
        ),
        "processing_amount": "{amount} desde {method}",
        "verify_title": "Verifique su cuenta bancaria",
        "verify_body": (
            "Stripe enviará dos pequeños depósitos a su cuenta. Llegan en 1 o 2 días hábiles: ingrese "
            "sus montos en la página de verificación para completar el pago."
        ),
        "verify_link": "Abrir la página de verificación",
        "confirmed_title": "Pago recibido",
        "confirmed_body": "¡Gracias! Se pagaron {amount} con {method}.",
        "receipt_sms": "Le enviamos un recibo por mensaje de texto.",
        "receipt_email": "Le enviamos un recibo por correo electrónico.",
        "remaining_balance": "Saldo restante: {balance}",
        "pay_rest": "Pagar el saldo restante",
        "paid_title": "Esta factura está pagada",
        "paid_body": "¡Gracias! No hay saldo pendiente.",
        "payments": "Pagos",
        "expired_title": "Este enlace de pago venció",
        "expired_body": "Por su seguridad, los enlaces de pago funcionan por tiempo limitado.",
        "expired_call": "Llame a {business} al {phone} y pida un enlace nuevo.",
        "expired_generic": "Comuníquese con la empresa que se lo envió y pida un enlace nuevo.",
        "relink_button": "Envíenme un enlace nuevo",
        "relink_sent": "Si este enlace se le envió por mensaje de texto, uno nuevo va en camino al mismo número.",
        "revoked_title": "Este enlace de pago ya no está activo",
        "revoked_body": "{business} reemplazó o canceló este enlace.",
        "void_title": "Esta factura fue anulada",
        "void_body": "No hay nada que pagar.",
        "call_for_help": "¿Preguntas? Llame a {business} al {phone}.",
        "call_button": "Llamar al {phone}",
        "no_online_payment": "Esta factura no se puede pagar en línea. Llame a {business} al {phone} para pagar.",
        "throttled_title": "Demasiados intentos",
        "throttled_body": (
            "Este dispositivo abrió demasiados enlaces que no funcionan. Espere {minutes} minutos y abra "
            "el enlace tal como se lo enviaron."
        ),
        "loading": "Cargando su factura…",
        "tip_title": "¿Desea dejar propina a su técnico?",
        "tip_none": "Sin propina",
        "tip_custom": "Otra",
        "tip_custom_label": "Monto de la propina",
        "tip_line": "Incluye {tip} de propina para su técnico.",
        "tip_invalid": "Escriba la propina en dólares, por ejemplo 5.00.",
        "tip_too_large": "La propina puede ser como máximo {total}.",
        "amount_invalid": "Ingrese un monto en dólares, por ejemplo 25.00.",
        "amount_too_small": "El pago mínimo es de $1.00.",
        "amount_too_large": "Puede pagar como máximo {balance}.",
        "method_not_accepted": "Esta forma de pago no se acepta para esta factura.",
        "already_processing": "Ya hay un pago bancario en proceso para esta factura.",
        "nothing_due": "Esta factura no tiene saldo pendiente.",
        "name_required": "Ingrese el nombre del titular de la cuenta.",
        "mandate_required": "Marque la casilla para autorizar el débito.",
        "bank_not_connected": "Primero conecte una cuenta bancaria.",
        "unavailable": "No pudimos comunicarnos con el procesador de pagos. Espere un minuto e intente de nuevo.",
        "authentication_failed": "Su banco no pudo confirmar este pago. Intente de nuevo o use otra tarjeta.",
        "declined": "Su tarjeta fue rechazada. Intente con otra tarjeta.",
        "bank_declined": "Su banco rechazó el débito. Use otra cuenta o pague con tarjeta.",
        "session_reset": "Recargue esta página e intente de nuevo.",
    },
}

# Stripe writes decline messages in English; Spanish readers get ours for the codes we know.
_DECLINE_CODES_ES = {
    "card_declined": "Su tarjeta fue rechazada.",
    "generic_decline": "Su tarjeta fue rechazada.",
    "insufficient_funds": "Su tarjeta no tiene fondos suficientes.",
    "lost_card": "Su tarjeta fue rechazada.",
    "stolen_card": "Su tarjeta fue rechazada.",
    "expired_card": "Su tarjeta está vencida.",
    "incorrect_cvc": "El código de seguridad de su tarjeta es incorrecto.",
    "incorrect_number": "El número de su tarjeta es incorrecto.",
    "processing_error": "Hubo un error al procesar su tarjeta. Intente de nuevo.",
    "payment_intent_authentication_failure": "Su banco no pudo confirmar este pago.",
}

_MONTHS_ES = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"]

_MANDATE = {
    "en": (
        "I authorize {business} to electronically debit the bank account shown above for a one-time "
        "payment of {amount} for invoice #{number}, on or after {date}. Stripe, {business}'s payment "
        "processor, will process the debit, which can take up to 4 business days. I can revoke this "
        "authorization by calling {business} at {phone} before the debit is processed. If the debit is "
        "returned unpaid, {business} may contact me to arrange another payment."
    ),
    "es": (
        "Autorizo a {business} a debitar electrónicamente la cuenta bancaria indicada arriba por un "
        "pago único de {amount} para la factura #{number}, a partir del {date}. Stripe, el procesador "
        "de pagos de {business}, procesará el débito, que puede tardar hasta 4 días hábiles. Puedo "
        "revocar esta autorización llamando a {business} al {phone} antes de que se procese el débito. "
        "Si el débito es devuelto sin pagar, {business} podrá comunicarse conmigo para acordar otro pago."
    ),
}

_RECEIPT_SMS = {
    "en": "{business}: payment of {amount} received for invoice #{number}{tip}. Balance: {balance}. Thank you! {stop}",
    "es": "{business}: recibimos su pago de {amount} de la factura #{number}{tip}. Saldo: {balance}. ¡Gracias! {stop}",
}
# Said after the invoice number when the payment carried a tip (kept apart from the invoice's money).
_RECEIPT_TIP = {"en": " (plus a {tip} tip)", "es": " (más {tip} de propina)"}
_RECEIPT_TIP_LINE = {"en": "Tip: {tip}\n", "es": "Propina: {tip}\n"}
_RECEIPT_STOP = {"en": "Reply STOP to opt out.", "es": "Responda STOP para no recibir mensajes."}
_RECEIPT_SUBJECT = {"en": "Receipt for invoice #{number}", "es": "Recibo de la factura #{number}"}
_RECEIPT_EMAIL = {
    "en": (
        "Thank you for your payment.\n\n"
        "Invoice #{number}\nAmount paid: {amount}\n{tip}Paid with: {method}\nDate: {date}\nBalance: {balance}\n\n"
        "Questions? Call {business} at {phone}.\n\n{business}"
    ),
    "es": (
        "Gracias por su pago.\n\n"
        "Factura #{number}\nMonto pagado: {amount}\n{tip}Pagado con: {method}\nFecha: {date}\nSaldo: {balance}\n\n"
        "¿Preguntas? Llame a {business} al {phone}.\n\n{business}"
    ),
}


def language(code: str | None) -> str:
    """One of LANGUAGES; anything unknown falls back to English."""
    code = (code or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def choose_language(accept_language: str | None) -> str:
    """The customer's preferred supported language from an Accept-Language header (or navigator.language)."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower()[:2]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def t(lang: str, key: str, **values: object) -> str:
    return TEXT[language(lang)][key].format(**values)


def day(lang: str, value: date) -> str:
    if language(lang) == "es":
        return f"{value.day} {_MONTHS_ES[value.month - 1]} {value.year}"
    return display.day(value)


def decline_message(lang: str, code: str | None, stripe_message: str | None) -> str:
    """Stripe's own words in English; in Spanish ours when we know the code, else Stripe's."""
    if language(lang) == "es" and code in _DECLINE_CODES_ES:
        return _DECLINE_CODES_ES[code]
    return stripe_message or t(lang, "declined")


def mandate_text(lang: str, *, business: str, phone: str, amount_cents: int, number: str, on: date) -> str:
    return _MANDATE[language(lang)].format(
        business=business, phone=phone, amount=display.money(amount_cents), number=number, date=day(lang, on)
    )


def _tip(words: dict[str, str], lang: str, tip_cents: int) -> str:
    return words[lang].format(tip=display.money(tip_cents)) if tip_cents > 0 else ""


def receipt_sms(
    lang: str, *, business: str, number: str, amount_cents: int, balance_cents: int, tip_cents: int = 0
) -> str:
    lang = language(lang)
    return _RECEIPT_SMS[lang].format(
        business=plain_name(business),
        number=number,
        tip=_tip(_RECEIPT_TIP, lang, tip_cents),
        amount=display.money(amount_cents),
        balance=display.money(balance_cents),
        stop=_RECEIPT_STOP[lang],
    )


def receipt_email(
    lang: str,
    *,
    business: str,
    phone: str,
    number: str,
    amount_cents: int,
    balance_cents: int,
    method: str,
    on: date,
    tip_cents: int = 0,
) -> tuple[str, str]:
    """(subject, body)"""
    lang = language(lang)
    body = _RECEIPT_EMAIL[lang].format(
        tip=_tip(_RECEIPT_TIP_LINE, lang, tip_cents),
        business=business,
        phone=phone,
        number=number,
        amount=display.money(amount_cents),
        balance=display.money(balance_cents),
        method=method,
        date=day(lang, on),
    )
    return _RECEIPT_SUBJECT[lang].format(number=number), body
