"""Adapters to the outside services; the only modules that import twilio, stripe or smtplib."""
