"""Customers' replies: STOP, START and HELP in the ways people write them."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from smslinks.core import consent, inbound, outbox
from smslinks.core.inbound import Keyword
from smslinks.core.sms_text import Encoding, segment_info
from smslinks.models import AuditEvent, OutboundMessage, ProcessedWebhookEvent, SmsOptOut, SmsOptOutQuestion
from tests import factories

OUT, IN, HELP, ASK, NONE = Keyword.OPT_OUT, Keyword.OPT_IN, Keyword.HELP, Keyword.AMBIGUOUS, Keyword.NONE


@pytest.mark.parametrize(
    "body, keyword",
    [
        # the carrier keywords, any case and punctuation
        ("STOP", OUT),
        ("stop", OUT),
        ("Stop.", OUT),
        (" STOP!! ", OUT),
        ("STOPALL", OUT),
        ("stop all", OUT),
        ("UNSUBSCRIBE", OUT),
        ("Cancel", OUT),
        ("END", OUT),
        ("quit", OUT),
        ("REVOKE", OUT),
        ("OPTOUT", OUT),
        ("opt-out", OUT),
        ("Opt out", OUT),
        ("Stop please", OUT),
        ("please STOP", OUT),
        # a revocation word with other words, in any position
        ("ok stop it", OUT),
        ("STOP. wrong number", OUT),
        ("STOP wrong number", OUT),
        ("Stop, I already paid", OUT),
        ("I paid already. Stop!", OUT),
        ("I said STOP", OUT),
        ("Yes stop", OUT),
        ("STOP STOP STOP", OUT),
        ("I want to unsubscribe thanks", OUT),
        ("How do I unsubscribe?", OUT),
        ("Unsubscribe me", OUT),
        ("Opt me out", OUT),
        ("I revoke my consent", OUT),
        ("Thanks. End.", OUT),
        ("Cancel the texts please", OUT),
        ("Cancel my subscription", OUT),
        ("please stop texting me", OUT),
        ("Stop texting me!", OUT),
        ("I want to stop getting these messages", OUT),
        ("I asked you to quit sending these", OUT),
        # phrases without the words
        ("Please don't text me again", OUT),
        ("do not contact me", OUT),
        ("I don't want these texts anymore", OUT),
        ("No more texts please", OUT),
        ("remove me from your list", OUT),
        ("take me off your list", OUT),
        ("wrong number", OUT),
        ("You have the wrong number", OUT),
        ("Leave me alone", OUT),
        # Spanish
        ("ALTO", OUT),
        ("Alto por favor", OUT),
        ("parar", OUT),
        ("PARA", OUT),
        ("¡Basta ya!", OUT),
        ("Cancelar", OUT),
        ("Detener", OUT),
        ("BAJA", OUT),
        ("Quiero darme de baja", OUT),
        ("Dar de baja por favor", OUT),
        ("No más mensajes", OUT),
        ("No me envíen más mensajes", OUT),
        ("Dejen de enviarme mensajes", OUT),
        ("Ya no quiero recibir mensajes", OUT),
        ("Paren de mandar textos", OUT),
        ("Cancelar suscripción", OUT),
        ("Número equivocado", OUT),
        # French
        ("ARRÊT", OUT),
        ("Arrêter", OUT),
        ("arrete", OUT),
        ("Arrêtez SVP", OUT),
        ("Arrêtez, s'il vous plaît", OUT),
        ("FIN", OUT),
        ("Annuler", OUT),
        ("Désabonner", OUT),
        ("Je veux me désabonner", OUT),
        ("Désinscrivez-moi", OUT),
        ("Je ne veux plus recevoir de messages", OUT),
        ("Arrêtez de m'envoyer des textos", OUT),
        ("Ne m'écrivez plus", OUT),
        ("Mauvais numéro", OUT),
        # back in
        ("START", IN),
        ("start", IN),
        ("Yes", IN),
        ("YES!", IN),
        ("unstop", IN),
        ("Sí", IN),
        ("Oui", IN),
        # help
        ("HELP", HELP),
        ("help?", HELP),
        ("Help please", HELP),
        ("AYUDA", HELP),
        ("AIDE", HELP),
        ("info", HELP),
        # a revocation word in ordinary speech, or negated: ask
        ("I'll pay at the end of the month", ASK),
        ("Can you cancel my appointment?", ASK),
        ("can I cancel the appointment?", ASK),
        ("the dripping won't stop", ASK),
        ("Don't stop", ASK),
        ("Never stop", ASK),
        ("quit asking me for money", ASK),
        ("please don't stop texting me, it's useful", ASK),
        ("I don't want to opt out", ASK),
        ("Do not unsubscribe me", ASK),
        ("Stop by tomorrow at 3", ASK),
        ("Why won't you stop texting me", ASK),
        ("Yes, I'll pay at the end of the week", ASK),
        ("The end", ASK),
        ("¿Puedo cancelar la cita?", ASK),
        ("Pago a fin de mes", ASK),
        ("No quiero cancelar", ASK),
        ("Je voudrais annuler le rendez-vous", ASK),
        ("Je paierai à la fin du mois", ASK),
        ("N'arrêtez pas", ASK),
        ("La fuite ne s'arrête pas", ASK),
        # ordinary replies (other forms of the words are other words)
        ("I'll pay tomorrow, thanks", NONE),
        ("Thank you!", NONE),
        ("Yes I will pay today", NONE),
        ("I need help paying this", NONE),
        ("", NONE),
        ("👍", NONE),
        ("Starting tomorrow works", NONE),
        ("The weekend works", NONE),
        ("The leak stopped, thanks", NONE),
        ("No", NONE),
        ("Para mañana está bien", NONE),
        ("El precio es muy alto", NONE),
        ("Gracias", NONE),
        ("Merci", NONE),
    ],
)
def test_keywords(body, keyword):
    assert inbound.classify(body) == keyword


@pytest.fixture
def business(session):
    return factories.business(session, email="office@testplumbing.example")


CUSTOMER = "+15125550134"
T0 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
sids = itertools.count(1)

ASKED = (
    "Test Plumbing: Do you still want invoice texts from us? Reply YES to keep them or STOP to opt out. "
    "No reply means we'll stop."
)
UNSUBSCRIBED = "Test Plumbing: You're unsubscribed and will get no more invoice texts. Reply START to resubscribe."
RESUBSCRIBED = "Test Plumbing: You're resubscribed to invoice texts. Reply STOP to opt out."
KEPT = "Test Plumbing: Thanks, you'll keep getting invoice texts. Reply STOP anytime to opt out."


def receive(session, business, body, sender=CUSTOMER, at=T0, sid=None):
    """A reply as the webhook hands it over: each with its own MessageSid unless given."""
    return inbound.receive(
        session,
        from_number=sender,
        to_number=business.default_sending_number,
        body=body,
        provider_id=sid or f"SMin{next(sids):08d}",
        now=at,
    )


def opted_out(session, business) -> bool:
    return consent.opted_out_at(session, business.id, CUSTOMER) is not None


def actions(session) -> list[str]:
    return list(session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all())


def test_stop_opts_out_and_start_opts_back_in_each_confirmed_once(session, business):
    assert receive(session, business, "please stop texting me").reply == UNSUBSCRIBED
    assert opted_out(session, business)
    assert receive(session, business, "STOP").reply is None  # already out: no second confirmation
    assert receive(session, business, "START").reply == RESUBSCRIBED
    assert not opted_out(session, business)
    assert receive(session, business, "START").reply is None
    assert actions(session) == [
        "sms.opted_out",
        "sms.reply_received",
        "sms.reply_received",
        "sms.opted_in",
        "sms.reply_received",
        "sms.reply_received",
    ]


def test_stop_source_records_what_the_customer_wrote(session, business):
    receive(session, business, "ALTO")
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "sms.opted_out")).one()
    assert 'reply \\"ALTO\\"' in audit.detail


def test_help_answers_with_the_business_a_contact_and_how_to_stop(session, business):
    result = receive(session, business, "HELP")
    assert result.keyword is HELP
    assert result.reply == (
        "Test Plumbing: invoice and payment texts. For help, call (512) 555-0999 or email "
        "office@testplumbing.example. Reply STOP to stop texts, START to resume."
    )
    assert not opted_out(session, business)


def test_an_ordinary_reply_changes_nothing_but_is_audited(session, business):
    result = receive(session, business, "I'll pay tomorrow, thanks")
    assert (result.keyword, result.reply) == (NONE, None)
    assert not opted_out(session, business)
    assert actions(session) == ["sms.reply_received"]
    assert session.exec(select(SmsOptOutQuestion)).all() == []


def test_reply_to_an_unknown_number_is_for_the_business_that_last_texted_the_customer(session, business):
    factories.business(session, name="Someone Else", default_sending_number="+15125550777")
    outbox.enqueue(session, business_id=business.id, channel="sms", to_address="+15125550134", body="hi")
    result = inbound.receive(session, from_number="+15125550134", to_number="+15125550006", body="STOP")
    assert result.business_id == business.id
    assert consent.opted_out_at(session, business.id, "+15125550134") is not None


def test_reply_nobody_can_place_changes_nothing(session, business):
    result = inbound.receive(session, from_number="+15125550100", to_number="+15125550006", body="STOP")
    assert result.business_id is None and result.reply is None
    assert session.exec(select(AuditEvent)).all() == []


# --- an ambiguous reply: one clarification, answered or not within five minutes ---------------


def question(session) -> SmsOptOutQuestion:
    return session.exec(select(SmsOptOutQuestion)).one()


def confirmations(session) -> list[OutboundMessage]:
    return list(session.exec(select(OutboundMessage).where(OutboundMessage.to_address == CUSTOMER)).all())


def test_an_ambiguous_reply_is_asked_about_once(session, business):
    first = receive(session, business, "I'll pay at the end of the month", sid="SMask0001")
    assert (first.keyword, first.reply) == (ASK, ASKED)
    asked = question(session)
    assert (asked.e164, asked.asked_at, asked.provider_id, asked.excerpt, asked.resolved_at) == (
        CUSTOMER,
        T0,
        "SMask0001",
        "I'll pay at the end of the month",
        None,
    )
    assert not opted_out(session, business)
    # A second ambiguous reply while the question is open sends nothing more.
    assert receive(session, business, "can I cancel the appointment?", at=T0 + timedelta(minutes=1)).reply is None
    assert session.exec(select(SmsOptOutQuestion)).all() == [asked]
    assert actions(session) == ["sms.clarification_asked", "sms.reply_received", "sms.reply_received"]


@pytest.mark.parametrize("answer", ["STOP", "stop please", "No", "No thanks", "Unsubscribe me", "ALTO", "Non merci"])
def test_answering_stop_opts_out_with_a_confirmation(session, business, answer):
    receive(session, business, "the dripping won't stop")
    result = receive(session, business, answer, at=T0 + timedelta(minutes=2))
    assert (result.keyword, result.reply) == (OUT, UNSUBSCRIBED)
    assert opted_out(session, business)
    assert (question(session).resolution, question(session).resolved_at) == ("stopped", T0 + timedelta(minutes=2))
    assert inbound.revoke_unanswered(session, T0 + timedelta(minutes=10)) == 0
    assert confirmations(session) == []  # the answer carried it


@pytest.mark.parametrize("answer", ["START", "Yes", "yes please", "Keep", "keep them coming", "Sí", "OUI"])
def test_answering_keep_keeps_the_texts_coming(session, business, answer):
    receive(session, business, "Don't stop")
    result = receive(session, business, answer, at=T0 + timedelta(minutes=4))
    assert (result.keyword, result.reply) == (IN, KEPT)
    assert question(session).resolution == "kept"
    assert inbound.revoke_unanswered(session, T0 + timedelta(minutes=10)) == 0
    assert not opted_out(session, business)
    assert "sms.clarification_answered" in actions(session)


@pytest.mark.parametrize("reply", ["I'll pay tomorrow", "ok", "HELP", "please don't stop texting me"])
def test_any_other_reply_leaves_the_question_open(session, business, reply):
    receive(session, business, "quit asking me for money")
    receive(session, business, reply, at=T0 + timedelta(minutes=1))
    assert question(session).resolved_at is None
    assert not opted_out(session, business)


def test_silence_for_five_minutes_opts_out_and_queues_one_confirmation(session, business):
    receive(session, business, "can I cancel the appointment?")
    assert inbound.revoke_unanswered(session, T0 + timedelta(minutes=4, seconds=59)) == 0
    assert not opted_out(session, business)

    assert inbound.revoke_unanswered(session, T0 + timedelta(minutes=5)) == 1
    assert consent.opted_out_at(session, business.id, CUSTOMER) == T0 + timedelta(minutes=5)
    assert (question(session).resolution, question(session).resolved_at) == ("no answer", T0 + timedelta(minutes=5))
    [confirmation] = confirmations(session)
    assert (confirmation.channel, confirmation.body, confirmation.from_address) == (
        "sms",
        UNSUBSCRIBED,
        business.default_sending_number,
    )
    assert consent.is_opt_out_confirmation(confirmation)
    assert session.exec(select(SmsOptOut.source)).one() == 'no answer after "can I cancel the appointment?"'

    assert inbound.revoke_unanswered(session, T0 + timedelta(minutes=6)) == 0
    assert len(confirmations(session)) == 1
    assert actions(session) == [
        "sms.clarification_asked",
        "sms.reply_received",
        "sms.clarification_expired",
        "sms.opted_out",
        "sms.queued",
    ]


def test_silence_after_an_opt_out_some_other_way_sends_no_second_confirmation(session, business):
    receive(session, business, "I'll pay at the end of the month")
    consent.opt_out(session, business.id, CUSTOMER, "Twilio error 21610")
    assert inbound.revoke_unanswered(session, T0 + timedelta(minutes=5)) == 1
    assert confirmations(session) == []


def test_an_ambiguous_reply_from_an_opted_out_number_asks_nothing(session, business):
    receive(session, business, "STOP")
    assert receive(session, business, "I'll pay at the end of the month").reply is None
    assert session.exec(select(SmsOptOutQuestion)).all() == []


def test_after_an_answer_a_new_ambiguous_reply_is_asked_about_again(session, business):
    receive(session, business, "I'll pay at the end of the month")
    receive(session, business, "YES", at=T0 + timedelta(minutes=1))
    assert receive(session, business, "Can you cancel my appointment?", at=T0 + timedelta(days=3)).reply == ASKED
    assert len(session.exec(select(SmsOptOutQuestion)).all()) == 2


def test_start_after_silence_opted_out_resubscribes(session, business):
    receive(session, business, "I'll pay at the end of the month")
    inbound.revoke_unanswered(session, T0 + timedelta(minutes=5))
    assert receive(session, business, "Yes", at=T0 + timedelta(minutes=7)).reply == RESUBSCRIBED
    assert not opted_out(session, business)


# --- each inbound message is applied once ----------------------------------------------------------


def test_a_replayed_message_changes_and_answers_nothing(session, business):
    receive(session, business, "START", sid="SMstart001")
    receive(session, business, "STOP", sid="SMstop0001", at=T0 + timedelta(minutes=1))
    replay = receive(session, business, "START", sid="SMstart001", at=T0 + timedelta(minutes=2))
    assert (replay.replayed, replay.reply) == (True, None)
    assert opted_out(session, business)
    assert actions(session).count("sms.reply_received") == 2
    events = session.exec(select(ProcessedWebhookEvent.provider, ProcessedWebhookEvent.event_id)).all()
    assert sorted(events) == [("twilio-inbound", "SMstart001"), ("twilio-inbound", "SMstop0001")]


def test_a_replayed_ambiguous_reply_asks_nothing_more(session, business):
    receive(session, business, "I'll pay at the end of the month", sid="SMask0001")
    receive(session, business, "YES", sid="SMyes0001")
    assert receive(session, business, "I'll pay at the end of the month", sid="SMask0001").reply is None
    assert question(session).resolution == "kept"


# --- what we answer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Test Plumbing",
        "Joe’s Plomería García & Sons",
        "The Extremely Long Named Heating, Ventilation & Air Conditioning Company of Greater Austin, Texas",
        "Supercalifragilisticexpialidociousheatingandcoolingandplumbingandelectricalcompanyllc",
    ],
)
@pytest.mark.parametrize("text", [inbound.CLARIFICATION, inbound.OPTED_OUT, inbound.OPTED_IN, inbound.KEPT])
def test_answers_fit_one_gsm7_text_whatever_the_business_name(name, text):
    answer = inbound.signed(name, text)
    assert answer.endswith(f": {text}")
    info = segment_info(answer)
    assert (info.encoding, info.segments) == (Encoding.GSM7, 1)


def test_a_long_business_name_loses_whole_words():
    answer = inbound.signed(
        "The Extremely Long Named Heating, Ventilation & Air Conditioning Company of Texas", inbound.CLARIFICATION
    )
    assert answer.startswith("The Extremely Long Named Heating, Ventilation: Do you")


def test_typographic_and_accented_characters_become_gsm7():
    assert inbound.signed("Joe’s Plomería", inbound.OPTED_IN).startswith("Joe's Plomeria: ")
