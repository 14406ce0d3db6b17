"""Business rules in plain Python: no Reflex imports here."""
