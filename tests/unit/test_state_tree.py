"""Reflex builds every state of the app for every visitor of any page, the pay page's customers
included: a computed var anywhere is computed, and its state stored, for each of them."""

from collections.abc import Iterator

from reflex.state import BaseState, State

import smslinks.smslinks  # noqa: F401  (registers every page, and so every state)


def _tree(state: type[BaseState]) -> Iterator[type[BaseState]]:
    yield state
    for substate in state.get_substates():
        yield from _tree(substate)


def test_no_state_computes_a_var_for_every_visitor():
    # Reflex's root state holds the pages' route arguments (/pay/[token]) as computed vars of its own.
    states = [state for state in _tree(State) if state.__module__.startswith("smslinks.")]
    assert any(state.__name__ == "PayState" for state in states)
    assert {state.__name__: sorted(state.computed_vars) for state in states if state.computed_vars} == {}
