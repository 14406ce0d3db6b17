"""Customers' replies: a wish to stop opts the number out, START opts it back in, HELP gets an answer.

47 CFR 64.1200(a)(10)-(12) (FCC 24-24): a reply using stop, quit, end, revoke, opt out, cancel or
unsubscribe revokes consent, with or without other words. Used as part of ordinary speech ("I'll pay
at the end of the month") or negated ("don't stop"), such a word is ambiguous: the rule allows one
clarification text within five minutes, and silence counts as revocation. We send it at once as the
answer, and the outbox workers opt out the numbers that leave it unanswered (revoke_unanswered). A
reply using one of the words is thus never ignored. Spanish and French are understood too.

An opt-out that takes effect is confirmed with one final text (CTIA practice): the answer to the
reply, or an outbox text when silence revoked. Each inbound message (MessageSid) is applied once.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from smslinks.core import audit, consent, invoices, outbox, phones, reminders
from smslinks.core.sms_text import Encoding, plain_name, segment_info, smart_encode
from smslinks.models import (
    Business,
    Channel,
    InboundMessage,
    Invoice,
    Location,
    OutboundMessage,
    PhoneNumber,
    ProcessedWebhookEvent,
    SmsOptOutQuestion,
    saved_id,
    utcnow,
)


class Keyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    AMBIGUOUS = "ambiguous"  # uses a revocation word, but may mean something else
    NONE = "none"


# Whole-message keywords (after dropping punctuation, case, accents and politeness).
OPT_OUT_WORDS = {
    "stop",
    "stopall",
    "stop all",
    "unsubscribe",
    "cancel",
    "end",
    "quit",
    "revoke",
    "optout",
    "opt out",
    "alto",
    "parar",
    "para",
    "pare",
    "paren",
    "basta",
    "cancelar",
    "detener",
    "baja",
    "dar de baja",
    "darme de baja",
    "arret",
    "arreter",
    "arrete",
    "arretez",
    "fin",
    "annuler",
    "desabonner",
    "desinscrire",
}
OPT_IN_WORDS = {"start", "yes", "unstop", "si", "oui"}
HELP_WORDS = {"help", "info", "ayuda", "aide"}
POLITENESS = {
    "please",
    "pls",
    "plz",
    "now",
    "thanks",
    "thank",
    "you",
    "thx",
    "ty",
    "ok",
    "okay",
    "just",
    "por",
    "favor",
    "gracias",
    "ya",
    "merci",
    "svp",
    "s",
    "il",
    "vous",
    "plait",
}
# A clause starting with one of these is a stop ("STOP, wrong number", "stop it")...
LEADING_STOP_WORDS = {"stop", "stopall", "unsubscribe", "optout", "alto", "parar", "arret", "arretez"}
# ...unless it is ordinary speech ("stop by tomorrow").
ORDINARY_AFTER_STOP = {"by", "in", "over", "at"}
NEGATIONS = {
    "not",
    "no",
    "never",
    "dont",
    "doesnt",
    "didnt",
    "wont",
    "cant",
    "cannot",
    "isnt",
    "wouldnt",
    "shouldnt",
    "ne",
    "n",
    "pas",
    "nunca",
    "jamais",
}
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
        r"\bunsubscrib\w*",
        r"\brevok\w*",
        r"\bopt(ed|ing)? (me )?out\b",
        r"\boptout\b",
        r"\bstopall\b",
        r"\bdesabonn\w*",
        r"\bdesinscri\w*",
        r"\bde baja\b",
        rf"\b(stop|quit|cease|end|cancel|cancelar|parar|paren?|deten\w*|annuler|arret\w*) {_DETERMINERS}"
        rf"({_MESSAGES})\b",
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
    "stop",
    "stopall",
    "quit",
    "end",
    "revoke",
    "cancel",
    "unsubscribe",
    "optout",
    "parar",
    "pare",
    "paren",
    "basta",
    "cancelar",
    "detener",
    "arret",
    "arreter",
    "arrete",
    "arretez",
    "annuler",
    "fin",
    "desabonner",
    "desinscrire",
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
        not NEGATIONS.intersection(text[: match.start()].split()[-NEGATION_REACH:]) for match in phrase.finditer(text)
    )


# Answers to "Do you still want invoice texts from us?" (after dropping politeness).
KEEP_WORDS = OPT_IN_WORDS | {
    "keep",
    "keep them",
    "keep texting",
    "keep sending",
    "keep them coming",
    "yes keep",
    "yes keep them",
    "y",
    "yeah",
    "yep",
    "yup",
    "sure",
}
NO_WORDS = {"no", "n", "nope", "nah", "non", "no more"}


def classify_answer(body: str) -> Keyword:
    """A reply while a clarification is open: a stop (or "no") opts out, an explicit keep keeps
    (OPT_IN); anything else leaves the question open."""
    keyword = classify(body)
    core = _core(normalize(body))
    if keyword is Keyword.OPT_OUT or core in NO_WORDS:
        return Keyword.OPT_OUT
    if core in KEEP_WORDS:
        return Keyword.OPT_IN
    return keyword


# --- what we answer -----------------------------------------------------------------------------

SEGMENT = 160  # GSM-7 characters in one text
CLARIFICATION = (
    "Do you still want invoice texts from us? Reply YES to keep them or STOP to opt out. No reply means we'll stop."
)
OPTED_OUT = "You're unsubscribed and will get no more invoice texts. Reply START to resubscribe."
OPTED_IN = "You're resubscribed to invoice texts. Reply STOP to opt out."
KEPT = "Thanks, you'll keep getting invoice texts. Reply STOP anytime to opt out."


def help_text(business: Business) -> str:
    contact = []
    if business.phone:
        contact.append(f"call {phones.display(business.phone)}")
    if business.email:
        contact.append(f"email {business.email}")
    how = " or ".join(contact) if contact else "contact us"
    return f"{plain_name(business.name)}: invoice and payment texts. For help, {how}. Reply STOP to stop texts, START to resume."


def signed(business_name: str, text: str) -> str:
    """The text after "<Business>: ", in one GSM-7 text where possible: accented letters GSM-7 lacks
    lose their accent, and a name too long to fit loses its last words."""
    name = "".join(_gsm7(char) for char in smart_encode(plain_name(business_name)))
    room = SEGMENT - segment_info(f": {text}").characters
    if segment_info(name).characters > room:
        words = name[: room + 1].split(" ")
        name = (" ".join(words[:-1]) or name[:room]).rstrip(" &,-/+.")  # no half word
    return f"{name}: {text}"


def _gsm7(char: str) -> str:
    if segment_info(char).encoding is Encoding.GSM7:
        return char
    base = unicodedata.normalize("NFKD", char)[0]
    return base if segment_info(base).encoding is Encoding.GSM7 else char


# --- applying a reply ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundResult:
    keyword: Keyword
    reply: str | None  # the text to answer with, if any
    business_id: int | None
    replayed: bool = False  # a MessageSid already applied: nothing changed


def business_for(session: Session, to_number: str, from_number: str) -> Business | None:
    """The business a reply is for: the owner of the number it was sent to, else (a Messaging
    Service pool number) the business that last texted this customer."""
    business = session.exec(select(Business).where(Business.default_sending_number == to_number)).first()
    if business is not None:
        return business
    last = session.exec(
        select(OutboundMessage.business_id)
        .where(OutboundMessage.to_address == from_number, OutboundMessage.channel == Channel.SMS.value)
        .order_by(col(OutboundMessage.id).desc())
        .limit(1)
    ).first()
    return session.get(Business, last) if last is not None else None


def receive(
    session: Session,
    *,
    from_number: str,
    to_number: str,
    body: str,
    provider_id: str | None = None,
    now: datetime | None = None,
) -> InboundResult:
    """Apply one inbound text (in the caller's transaction) and say what to answer.

    Each message (MessageSid) is applied once: a replayed webhook changes and answers nothing, so
    an old START cannot undo a later STOP."""
    now = now or utcnow()
    keyword = classify(body)
    if provider_id and not _first_delivery(session, provider_id, now):
        return InboundResult(keyword, None, None, replayed=True)
    business = business_for(session, to_number, from_number)
    if business is None:
        return InboundResult(keyword, None, None)
    business_id = saved_id(business)
    question = open_question(session, business_id, from_number)
    if question is not None:
        keyword = classify_answer(body)
    reply = _apply(session, business, from_number, body, keyword, question, provider_id, now)
    reminders.stop_for_reply(session, business_id, from_number, now)
    _store(session, business_id, from_number, to_number, body, provider_id, keyword, reply, now)
    audit.record(
        session,
        "sms.reply_received",
        "phone",
        from_number,
        business_id=business_id,
        actor=audit.CUSTOMER_ACTOR,
        keyword=keyword.value,
        body=body[:320],
        provider_id=provider_id,
        answer=reply,
    )
    return InboundResult(keyword, reply, business_id)


def _apply(
    session: Session,
    business: Business,
    e164: str,
    body: str,
    keyword: Keyword,
    question: SmsOptOutQuestion | None,
    provider_id: str | None,
    now: datetime,
) -> str | None:
    """Change consent as the reply asks; the answer to send back, if any. An open question is
    closed first: should the workers have just closed it for silence, the opt-out they made is
    then visible here (START undoes it, STOP finds it made)."""
    source = f'reply "{_excerpt(body, 40)}"'
    if keyword is Keyword.OPT_OUT:
        if question is not None:
            _resolve(session, question, Resolution.STOPPED, now, provider_id=provider_id)
        return (
            signed(business.name, OPTED_OUT)
            if consent.opt_out(session, saved_id(business), e164, source, at=now)
            else None
        )
    if keyword is Keyword.OPT_IN:
        kept = question is not None and _resolve(session, question, Resolution.KEPT, now, provider_id=provider_id)
        if consent.opt_in(session, saved_id(business), e164, source):
            return signed(business.name, OPTED_IN)
        return signed(business.name, KEPT) if kept else None
    if keyword is Keyword.HELP:
        return help_text(business)
    if keyword is Keyword.AMBIGUOUS and question is None:
        return _ask(session, business, e164, body, provider_id, now)
    return None


# --- keeping the reply for the Inbox ---------------------------------------------------------------

OPTED_OUT_ACTION = "Opted out: no more texts to this number."
ALREADY_OUT_ACTION = "Already opted out: no texts go to this number."
OPTED_IN_ACTION = "Opted back in: texts to this number can resume."
KEPT_ACTION = "Answered the question: keeps getting texts."
HELP_ACTION = "Asked for help: answered with the business's phone and email."
ASKED_ACTION = "Asked whether they meant stop: no answer within 5 minutes opts the number out."


def _action(keyword: Keyword, reply: str | None) -> str:
    """What the reply did, in the office's words ("" for an ordinary message)."""
    if keyword is Keyword.OPT_OUT:
        return OPTED_OUT_ACTION if reply else ALREADY_OUT_ACTION
    if keyword is Keyword.OPT_IN:
        return OPTED_IN_ACTION if reply and reply.endswith(OPTED_IN) else (KEPT_ACTION if reply else "")
    if keyword is Keyword.HELP:
        return HELP_ACTION
    if keyword is Keyword.AMBIGUOUS and reply:
        return ASKED_ACTION
    return ""


def match(session: Session, business_id: int, e164: str) -> tuple[int | None, int | None]:
    """(customer id, invoice id) of a number: the invoice last texted to it, and the customer whose
    record (or service location) holds the number, that invoice's customer first when several do."""
    invoice_id = session.exec(
        select(OutboundMessage.invoice_id)
        .where(
            OutboundMessage.business_id == business_id,
            OutboundMessage.to_address == e164,
            OutboundMessage.channel == Channel.SMS.value,
            col(OutboundMessage.invoice_id).is_not(None),
        )
        .order_by(col(OutboundMessage.id).desc())
        .limit(1)
    ).first()
    invoice = session.get(Invoice, invoice_id) if invoice_id is not None else None
    owners = session.exec(
        select(sa.func.coalesce(PhoneNumber.customer_id, Location.customer_id))
        .select_from(PhoneNumber)
        .outerjoin(Location, col(Location.id) == PhoneNumber.location_id)
        .where(PhoneNumber.business_id == business_id, PhoneNumber.e164 == e164)
        .order_by(col(PhoneNumber.id))
    ).all()
    if invoice is not None and (invoice.customer_id in owners or not owners):
        return invoice.customer_id, invoice.id
    return (owners[0] if owners else None), invoice_id


def _store(
    session: Session,
    business_id: int,
    from_number: str,
    to_number: str,
    body: str,
    provider_id: str | None,
    keyword: Keyword,
    reply: str | None,
    now: datetime,
) -> InboundMessage:
    customer_id, invoice_id = match(session, business_id, from_number)
    message = InboundMessage(
        business_id=business_id,
        from_number=from_number[:20],
        to_number=(to_number or "")[:20],
        body=body or "",
        provider_id=provider_id[:64] if provider_id else None,
        keyword=keyword.value,
        action=_action(keyword, reply),
        customer_id=customer_id,
        invoice_id=invoice_id,
        received_at=now,
    )
    session.add(message)
    invoices.touch(session, invoice_id)  # open invoice pages show the reply
    session.flush()
    return message


TWILIO_INBOUND = "twilio-inbound"  # ProcessedWebhookEvent.provider for inbound texts


def _first_delivery(session: Session, provider_id: str, now: datetime) -> bool:
    """Claim the message's sid; False when it was applied before. A concurrent delivery of the same
    message waits on the claim and then does nothing (the unique key), instead of failing."""
    claimed = session.execute(
        _insert(session)(ProcessedWebhookEvent)
        .values(provider=TWILIO_INBOUND, event_id=provider_id[:128], received_at=now)
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(ProcessedWebhookEvent.id)
    ).first()
    return claimed is not None


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _excerpt(body: str, size: int) -> str:
    return " ".join(body.split())[:size]


# --- the clarification: one question, answered or not within five minutes ---------------------

ANSWER_WINDOW = timedelta(minutes=5)


class Resolution(StrEnum):
    STOPPED = "stopped"
    KEPT = "kept"
    NO_ANSWER = "no answer"


def open_question(session: Session, business_id: int, e164: str) -> SmsOptOutQuestion | None:
    return session.exec(
        select(SmsOptOutQuestion).where(
            SmsOptOutQuestion.business_id == business_id,
            SmsOptOutQuestion.e164 == e164,
            col(SmsOptOutQuestion.resolved_at).is_(None),
        )
    ).first()


def _ask(
    session: Session, business: Business, e164: str, body: str, provider_id: str | None, now: datetime
) -> str | None:
    """Ask whether an ambiguous reply meant stop; None when the number is already opted out (nothing
    to revoke) or a concurrent reply has just asked (the partial unique index keeps one open)."""
    if consent.opted_out_at(session, saved_id(business), e164) is not None:
        return None
    asked = session.execute(
        _insert(session)(SmsOptOutQuestion)
        .values(business_id=business.id, e164=e164, asked_at=now, provider_id=provider_id, excerpt=_excerpt(body, 80))
        .on_conflict_do_nothing(
            index_elements=["business_id", "e164"], index_where=col(SmsOptOutQuestion.resolved_at).is_(None)
        )
        .returning(SmsOptOutQuestion.id)
    ).first()
    if asked is None:
        return None
    audit.record(
        session,
        "sms.clarification_asked",
        "phone",
        e164,
        business_id=business.id,
        question_id=asked.id,
        reply=_excerpt(body, 80),
        provider_id=provider_id,
    )
    return signed(business.name, CLARIFICATION)


def _resolve(session: Session, question: SmsOptOutQuestion, resolution: Resolution, now: datetime, **detail) -> bool:
    """Close the question unless a reply or a worker closed it first."""
    closed = session.exec(
        sa.update(SmsOptOutQuestion)
        .where(col(SmsOptOutQuestion.id) == question.id, col(SmsOptOutQuestion.resolved_at).is_(None))
        .values(resolved_at=now, resolution=resolution.value)
    ).rowcount
    if closed != 1:
        return False
    expired = resolution is Resolution.NO_ANSWER
    audit.record(
        session,
        "sms.clarification_expired" if expired else "sms.clarification_answered",
        "phone",
        question.e164,
        business_id=question.business_id,
        actor=audit.SYSTEM_ACTOR if expired else audit.CUSTOMER_ACTOR,
        question_id=question.id,
        resolution=resolution.value,
        **detail,
    )
    return True


def revoke_unanswered(session: Session, now: datetime, limit: int = 100) -> int:
    """Silence counts as revocation: each question unanswered for five minutes opts its number out,
    and the opt-out's confirmation is queued (there is no reply to answer). The outbox workers call
    this on every pass; returns how many questions it closed."""
    due = (
        select(SmsOptOutQuestion)
        .where(col(SmsOptOutQuestion.resolved_at).is_(None), SmsOptOutQuestion.asked_at <= now - ANSWER_WINDOW)
        .order_by(col(SmsOptOutQuestion.asked_at))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)  # another worker is closing those
    closed = 0
    for question in session.exec(due).all():
        if _resolve(session, question, Resolution.NO_ANSWER, now):
            _revoke_for_silence(session, question, now)
            closed += 1
    return closed


def _revoke_for_silence(session: Session, question: SmsOptOutQuestion, now: datetime) -> None:
    source = f'no answer after "{question.excerpt[:42]}"'  # fits SmsOptOut.source
    if not consent.opt_out(session, question.business_id, question.e164, source, at=now):
        return  # already opted out some other way: no second confirmation
    business = session.get_one(Business, question.business_id)
    outbox.enqueue(
        session,
        business_id=saved_id(business),
        channel=Channel.SMS,
        to_address=question.e164,
        body=signed(business.name, OPTED_OUT),
        from_address=business.default_sending_number,
        actor=audit.SYSTEM_ACTOR,
        idempotency_key=f"{consent.CONFIRMATION_KEY_PREFIX}question-{question.id}",
    )
