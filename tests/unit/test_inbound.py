"""Customers' replies: STOP, START and HELP in the ways people write them."""

import pytest
from sqlmodel import select

from smslinks.core import consent, inbound
from smslinks.core.inbound import Keyword
from smslinks.models import AuditEvent
from tests import factories

OUT, IN, HELP, ASK, NONE = Keyword.OPT_OUT, Keyword.OPT_IN, Keyword.HELP, Keyword.AMBIGUOUS, Keyword.NONE


@pytest.mark.parametrize(
    "body, keyword",
    [
        # the carrier keywords, any case and punctuation
        ("STOP", OUT), ("stop", OUT), ("Stop.", OUT), (" STOP!! ", OUT), ("STOPALL", OUT), ("stop all", OUT),
        ("UNSUBSCRIBE", OUT), ("Cancel", OUT), ("END", OUT), ("quit", OUT), ("REVOKE", OUT),
        ("OPTOUT", OUT), ("opt-out", OUT), ("Opt out", OUT), ("Stop please", OUT), ("please STOP", OUT),
        # a revocation word with other words, in any position
        ("ok stop it", OUT), ("STOP. wrong number", OUT), ("STOP wrong number", OUT), ("Stop, I already paid", OUT),
        ("I paid already. Stop!", OUT), ("I said STOP", OUT), ("Yes stop", OUT), ("STOP STOP STOP", OUT),
        ("I want to unsubscribe thanks", OUT), ("How do I unsubscribe?", OUT), ("Unsubscribe me", OUT),
        ("Opt me out", OUT), ("I revoke my consent", OUT), ("Thanks. End.", OUT), ("Cancel the texts please", OUT),
        ("Cancel my subscription", OUT), ("please stop texting me", OUT), ("Stop texting me!", OUT),
        ("I want to stop getting these messages", OUT), ("I asked you to quit sending these", OUT),
        # phrases without the words
        ("Please don't text me again", OUT), ("do not contact me", OUT), ("I don't want these texts anymore", OUT),
        ("No more texts please", OUT), ("remove me from your list", OUT), ("take me off your list", OUT),
        ("wrong number", OUT), ("You have the wrong number", OUT), ("Leave me alone", OUT),
        # Spanish
        ("ALTO", OUT), ("Alto por favor", OUT), ("parar", OUT), ("PARA", OUT), ("¡Basta ya!", OUT), ("Cancelar", OUT),
        ("Detener", OUT), ("BAJA", OUT), ("Quiero darme de baja", OUT), ("Dar de baja por favor", OUT),
        ("No más mensajes", OUT), ("No me envíen más mensajes", OUT), ("Dejen de enviarme mensajes", OUT),
        ("Ya no quiero recibir mensajes", OUT), ("Paren de mandar textos", OUT), ("Cancelar suscripción", OUT),
        ("Número equivocado", OUT),
        # French
        ("ARRÊT", OUT), ("Arrêter", OUT), ("arrete", OUT), ("Arrêtez SVP", OUT), ("Arrêtez, s'il vous plaît", OUT),
        ("FIN", OUT), ("Annuler", OUT), ("Désabonner", OUT), ("Je veux me désabonner", OUT),
        ("Désinscrivez-moi", OUT), ("Je ne veux plus recevoir de messages", OUT),
        ("Arrêtez de m'envoyer des textos", OUT), ("Ne m'écrivez plus", OUT), ("Mauvais numéro", OUT),
        # back in
        ("START", IN), ("start", IN), ("Yes", IN), ("YES!", IN), ("unstop", IN), ("Sí", IN), ("Oui", IN),
        # help
        ("HELP", HELP), ("help?", HELP), ("Help please", HELP), ("AYUDA", HELP), ("AIDE", HELP), ("info", HELP),
        # a revocation word in ordinary speech, or negated: ask
        ("I'll pay at the end of the month", ASK), ("Can you cancel my appointment?", ASK),
        ("can I cancel the appointment?", ASK), ("the dripping won't stop", ASK), ("Don't stop", ASK),
        ("Never stop", ASK), ("quit asking me for money", ASK), ("please don't stop texting me, it's useful", ASK),
        ("I don't want to opt out", ASK), ("Do not unsubscribe me", ASK), ("Stop by tomorrow at 3", ASK),
        ("Why won't you stop texting me", ASK), ("Yes, I'll pay at the end of the week", ASK), ("The end", ASK),
        ("¿Puedo cancelar la cita?", ASK), ("Pago a fin de mes", ASK), ("No quiero cancelar", ASK),
        ("Je voudrais annuler le rendez-vous", ASK), ("Je paierai à la fin du mois", ASK), ("N'arrêtez pas", ASK),
        ("La fuite ne s'arrête pas", ASK),
        # ordinary replies (other forms of the words are other words)
        ("I'll pay tomorrow, thanks", NONE), ("Thank you!", NONE), ("Yes I will pay today", NONE),
        ("I need help paying this", NONE), ("", NONE), ("👍", NONE), ("Starting tomorrow works", NONE),
        ("The weekend works", NONE), ("The leak stopped, thanks", NONE), ("No", NONE),
        ("Para mañana está bien", NONE), ("El precio es muy alto", NONE), ("Gracias", NONE), ("Merci", NONE),
    ],
)
def test_keywords(body, keyword):
    assert inbound.classify(body) == keyword


@pytest.fixture
def business(session):
    return factories.business(session, email="office@testplumbing.example")


def receive(session, business, body, sender="+15125550134"):
    return inbound.receive(session, from_number=sender, to_number=business.default_sending_number, body=body,
                           provider_id="SMin")


def test_stop_opts_out_and_start_opts_back_in(session, business):
    assert receive(session, business, "please stop texting me").reply is None
    assert consent.opted_out_at(session, business.id, "+15125550134") is not None
    receive(session, business, "START")
    assert consent.opted_out_at(session, business.id, "+15125550134") is None
    actions = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["sms.opted_out", "sms.reply_received", "sms.opted_in", "sms.reply_received"]


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
    assert consent.opted_out_at(session, business.id, "+15125550134") is None


def test_an_ordinary_reply_changes_nothing_but_is_audited(session, business):
    result = receive(session, business, "I'll pay tomorrow, thanks")
    assert (result.keyword, result.reply) == (NONE, None)
    assert consent.opted_out_at(session, business.id, "+15125550134") is None
    assert session.exec(select(AuditEvent.action)).all() == ["sms.reply_received"]


def test_reply_to_an_unknown_number_is_for_the_business_that_last_texted_the_customer(session, business):
    from smslinks.core import outbox

    factories.business(session, name="Someone Else", default_sending_number="+15125550777")
    outbox.enqueue(session, business_id=business.id, channel="sms", to_address="+15125550134", body="hi")
    result = inbound.receive(session, from_number="+15125550134", to_number="+15005550006", body="STOP")
    assert result.business_id == business.id
    assert consent.opted_out_at(session, business.id, "+15125550134") is not None


def test_reply_nobody_can_place_changes_nothing(session, business):
    result = inbound.receive(session, from_number="+15125550100", to_number="+15005550006", body="STOP")
    assert result.business_id is None and result.reply is None
    assert session.exec(select(AuditEvent)).all() == []
