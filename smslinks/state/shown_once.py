"""A value shown once: a new API key, a webhook's signing secret, a temporary password or an
invitation link. It goes straight from the handler into the dialog's read-only field by a script,
never through a state var, so neither the state store nor a later delta holds it."""

import json

import reflex as rx
from reflex.event import EventSpec

# The dialog may still be opening when the script runs: it waits (up to 3 s) for the field.
_PUT = """(function put(tries) {
  const field = document.getElementById(%s);
  if (field) { field.textContent = %s; return; }
  if (tries < 100) setTimeout(() => put(tries + 1), 30);
})(0)"""
# Selects the value too, so it can be copied by hand where the clipboard is not allowed.
_COPY = """(function () {
  const field = document.getElementById(%s);
  if (!field) return;
  const range = document.createRange();
  range.selectNodeContents(field);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  (navigator.clipboard ? navigator.clipboard.writeText(field.textContent) : Promise.reject())
    .catch(() => document.execCommand('copy'));
})()"""


def show_once(field_id: str, value: str) -> EventSpec:
    """What a handler returns to put the value into the page's field `field_id`."""
    return rx.call_script(_PUT % (json.dumps(field_id), json.dumps(value)))


def copy_shown(field_id: str) -> EventSpec:
    """The Copy button's action, run in the browser alone: the server has forgotten the value."""
    return rx.call_script(_COPY % json.dumps(field_id))
