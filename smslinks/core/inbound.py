"""Customers' replies: a wish to stop opts the number out, START opts it back in, HELP gets an answer.

47 CFR 64.1200(a)(10)-(12) (FCC 24-24): a reply using stop, quit, end, revoke, opt out, cancel or
unsubscribe revokes consent, with or without other words. Such a word used as part of ordinary
speech ("I'll pay at the end of the month") or negated ("don't stop") is ambiguous: the rule allows
one clarification text, and silence counts as revocation. So every reply that uses one of the words
is either a revocation or ambiguous, never ignored. Spanish and French are understood too.
"""

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, select

from smslinks.core import audit, consent, phones
from smslinks.models import Business, Channel, OutboundMessage


class Keyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    AMBIGUOUS = "ambiguous"  # uses a revocation word, but may mean something else
    NONE = "none"


# Whole-message keywords (after dropping punctuation, case, accents and politeness).
OPT_OUT_WORDS = {
    "stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "opt out",
    "alto", "parar", "para", "pare", "paren", "basta", "cancelar", "detener", "baja", "dar de baja", "darme de baja",
    "arret", "arreter", "arrete", "arretez", "fin", "annuler", "desabonner", "desinscrire",
}
OPT_IN_WORDS = {"start", "yes", "unstop", "si", "oui"}
HELP_WORDS = {"help", "info", "ayuda", "aide"}
POLITENESS = {
    "please", "pls", "plz", "now", "thanks", "thank", "you", "thx", "ty", "ok", "okay", "just",
    "por", "favor", "gracias", "ya", "merci", "svp", "s", "il", "vous", "plait",
}
# A clause starting with one of these is a stop ("STOP, wrong number", "stop it")...
LEADING_STOP_WORDS = {"stop", "stopall", "unsubscribe", "optout", "alto", "parar", "arret", "arretez"}
# ...unless it is ordinary speech ("stop by tomorrow").
ORDINARY_AFTER_STOP = {"by", "in", "over", "at"}
NEGATIONS = {"not", "no", "never", "dont", "doesnt", "didnt", "wont", "cant", "cannot", "isnt", "wouldnt",
             "shouldnt", "ne", "n", "pas", "nunca", "jamais"}
# How many words before a phrase a negation still applies to it ("don't ever stop texting").
NEGATION_REACH = 3

_MESSAGES = (
    r"texts?|texting|txts?|txting|messages?|messaging|msgs?|sms|notifications?|alerts?|reminders?|subscription"
    r"|sending|contacting|getting|receiving|mensajes|textos|notificaciones|suscripcion|enviar\w*|mandar\w*"
    r"|escribir\w*|envoyer|m envoyer|ecrire|m ecrire|textes|abonnement"
)
_DETERMINERS = r"(all |the |these |this |those |your |my |any |las |los |mis |sus |de |d |les |ces |vos |mes )?"
# Phrases that ask to stop; a negation shortly before one makes it ambiguous instead.
STOP_PHRASES = [
    re.compile(pattern)
    for pattern in (
        r"\bunsubscrib\w*", r"\brevok\w*", r"\bopt(ed|ing)? (me )?out\b", r"\boptout\b", r"\bstopall\b",
        r"\bdesabonn\w*", r"\bdesinscri\w*", r"\bde baja\b",
        rf"\b(stop|quit|cease|end|cancel|cancelar|parar|paren?|deten\w*|annuler|arret\w*) {_DETERMINERS}({_MESSAGES})\b",
        r"\bno more (texts?|text messages|messages|msgs|txts|sms|reminders)\b",
        r"\b(remove|delete) (me|my number|this number)\b",
        r"\btake (me|my number|this number) off\b",
        r"\bleave me alone\b",
        r"\b(wrong number|numero equivocado|mauvais numero)\b",
        r"\bno mas (mensajes|textos)\b",
        r"\bno (quiero|deseo) (recibir|mas)\b",
        r"\bdej\w* de (enviar|mandar|escribir)\w*",
        r"\bne (veux |souhaite )?plus (recevoir|m envoyer|m ecrire)\b",
    )
]
# Phrases whose negation is the request itself.
DO_NOT_CONTACT = re.compile(
    r"\b(dont|do not|never) (text|txt|message|msg|contact|sms)\b"
    r"|\b(dont|do not|no longer) want (any more |anymore |these |your |any |the )?(texts|messages|txts|msgs)\b"
    r"|\bno (me )?(envie|envien|mande|manden|escriba|escriban)\w*"
    r"|\bne m (envoyez|ecrivez|textez) plus\b"
)
# Every reply using one of these is a revocation or ambiguous. ("para" is also Spanish for "for",
# "alto" for "high": only whole-message or stop phrases count for them.)
REVOCATION_WORDS = {
    "stop", "stopall", "quit", "end", "revoke", "cancel", "unsubscribe", "optout",
    "parar", "pare", "paren", "basta", "cancelar", "detener",
    "arret", "arreter", "arrete", "arretez", "annuler", "fin", "desabonner", "desinscrire",
}


def normalize(text: str) -> str:
    """Lower case, no accents, letters and digits separated by single spaces, "don't" as "dont"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"n t\b", "nt", " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split()))


def _core(text: str) -> str:
    return " ".join(word for word in text.split() if word not in POLITENESS)


def _clauses(body: str) -> list[str]:
    """The reply's sentences and comma-separated parts, each normalized without politeness."""
    return [_core(normalize(part)) for part in re.split(r"[.!?;,:\n¡¿()]+", body or "")]


def classify(body: str) -> Keyword:
    text = normalize(body)
    core = _core(text)
    if core in OPT_OUT_WORDS:
        return Keyword.OPT_OUT
    if core in OPT_IN_WORDS:
        return Keyword.OPT_IN
    if core in HELP_WORDS:
        return Keyword.HELP
    if any(_commands_stop(clause) for clause in _clauses(body)) or _asks_to_stop(text):
        return Keyword.OPT_OUT
    if REVOCATION_WORDS.intersection(text.split()) or re.search(r"\bopt out\b", text):
        return Keyword.AMBIGUOUS
    return Keyword.NONE


def _commands_stop(clause: str) -> bool:
    """A clause that is a stop keyword, starts with one, or ends with "I said stop"."""
    words = clause.split()
    if clause in OPT_OUT_WORDS or re.search(r"\b(said|yes|si|oui) stop$", clause):
        return True
    return bool(words) and words[0] in LEADING_STOP_WORDS and (len(words) == 1 or words[1] not in ORDINARY_AFTER_STOP)


def _asks_to_stop(text: str) -> bool:
    return bool(DO_NOT_CONTACT.search(text)) or any(_affirmed(text, phrase) for phrase in STOP_PHRASES)


def _affirmed(text: str, phrase: re.Pattern) -> bool:
    """The phrase occurs with no negation in the few words before it."""
    return any(
        not NEGATIONS.intersection(text[: match.start()].split()[-NEGATION_REACH:])
        for match in phrase.finditer(text)
    )


@dataclass(frozen=True)
class InboundResult:
    keyword: Keyword
    reply: str | None  # the text to answer with, if any
    business_id: int | None


def help_text(business: Business) -> str:
    contact = []
    if business.phone:
        contact.append(f"call {phones.display(business.phone)}")
    if business.email:
        contact.append(f"email {business.email}")
    how = " or ".join(contact) if contact else "contact us"
    return f"{business.name}: invoice and payment texts. For help, {how}. Reply STOP to stop texts, START to resume."


def business_for(session: Session, to_number: str, from_number: str) -> Business | None:
    """The business a reply is for: the owner of the number it was sent to, else (a Messaging
    Service pool number) the business that last texted this customer."""
    business = session.exec(select(Business).where(Business.default_sending_number == to_number)).first()
    if business is not None:
        return business
    last = session.exec(
        select(OutboundMessage.business_id)
        .where(OutboundMessage.to_address == from_number, OutboundMessage.channel == Channel.SMS.value)
        .order_by(OutboundMessage.id.desc())
        .limit(1)
    ).first()
    return session.get(Business, last) if last is not None else None


def receive(session: Session, *, from_number: str, to_number: str, body: str, provider_id: str | None = None) -> InboundResult:
    """Apply one inbound text (in the caller's transaction) and say what to answer."""
    keyword = classify(body)
    business = business_for(session, to_number, from_number)
    if business is None:
        return InboundResult(keyword, None, None)
    source = f'reply "{" ".join(body.split())[:40]}"'
    if keyword is Keyword.OPT_OUT:
        consent.opt_out(session, business.id, from_number, source)
    elif keyword is Keyword.OPT_IN:
        consent.opt_in(session, business.id, from_number, source)
    audit.record(
        session, "sms.reply_received", "phone", from_number, business_id=business.id,
        actor=audit.CUSTOMER_ACTOR, keyword=keyword.value, body=body[:320], provider_id=provider_id,
    )
    reply = help_text(business) if keyword is Keyword.HELP else None
    return InboundResult(keyword, reply, business.id)
