"""Customers' replies: STOP opts the number out, START opts it back in, HELP gets an answer.

Carriers honour the standard keywords only as the whole message; people also write "please stop
texting me" or "ALTO". A clear wish to stop is honoured in any of those forms; a negated one
("don't stop") and ordinary replies ("I'll pay tomorrow, thanks") change nothing.
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
    NONE = "none"


# Whole-message keywords (after dropping punctuation, case, accents and politeness).
OPT_OUT_WORDS = {
    "stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "revoke", "optout",
    "opt out", "alto", "parar", "basta", "cancelar",
}
OPT_IN_WORDS = {"start", "yes", "unstop"}
HELP_WORDS = {"help", "info", "ayuda"}
# Words that say "stop" on their own, so a message starting with one is a stop ("STOP wrong number").
LEADING_STOP_WORDS = {"stop", "stopall", "unsubscribe", "optout", "alto", "parar"}
POLITENESS = {"please", "pls", "plz", "now", "thanks", "thank", "you", "thx", "por", "favor", "gracias", "ok"}
NEGATIONS = ("don t", "dont", "do not", "never", "not")

# Phrases that ask to stop; a negation just before one cancels it ("don't stop texting me").
STOP_PHRASES = [
    re.compile(pattern)
    for pattern in (
        r"\bunsubscribe\b",
        r"\bopt (me )?out\b",
        r"\b(stop|quit|cease) (texting|txting|messaging|sending|contacting|text|msg|messages)\b",
        r"\bno more (texts|text messages|messages|msgs|txts)\b",
        r"\bremove (me|my number|this number)\b",
        r"\btake (me|my number) off\b",
        r"\bwrong number\b",
        r"\bno mas (mensajes|textos)\b",
        r"\bdejen? de (enviar|mandar|escribir)\b",
    )
]
# Phrases whose negation is the request itself.
DO_NOT_CONTACT = re.compile(
    r"\b(don t|dont|do not|never) (text|txt|message|msg|contact|sms)\b"
    r"|\bno (me )?(envie|envien|mande|manden|escriba|escriban)\b"
)


def normalize(text: str) -> str:
    """Lower case, no accents, letters and digits separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def classify(body: str) -> Keyword:
    text = normalize(body)
    core = " ".join(word for word in text.split() if word not in POLITENESS)
    if core in OPT_OUT_WORDS:
        return Keyword.OPT_OUT
    if core in OPT_IN_WORDS:
        return Keyword.OPT_IN
    if core in HELP_WORDS:
        return Keyword.HELP
    if text.split(" ", 1)[0] in LEADING_STOP_WORDS:
        return Keyword.OPT_OUT
    if DO_NOT_CONTACT.search(text) or any(_affirmed(text, phrase) for phrase in STOP_PHRASES):
        return Keyword.OPT_OUT
    return Keyword.NONE


def _affirmed(text: str, phrase: re.Pattern) -> bool:
    """The phrase occurs without a negation just before it."""
    return any(
        not f" {text[: match.start()].rstrip()}".endswith(tuple(f" {word}" for word in NEGATIONS))
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
