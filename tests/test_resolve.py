"""The one rule of the settings both the server and the panel hold (server/resolve.py), and
the settings that were removed (they warn, naming what replaced them)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, get_args

import pytest
from traitlets.config import Config

from jupyter_codeact.config import SHARED, CodeAct
from jupyter_codeact.core.actions import STOP_SEQUENCES
from jupyter_codeact.core.styles import ActionStyle
from jupyter_codeact.removed_settings import REMOVED
from jupyter_codeact.server.resolve import Choices, Configured, Resolved, resolve

ROOT = Path(__file__).resolve().parents[1]

# configured (approval, style, untrusted) | chosen (approval, style, replace, untrusted)
# -> resolved (approval, style, replace, untrusted)
TABLE: list[tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]] = [
    # Nothing chosen: the server's values (replace failed cells: on).
    (("auto", "auto", False), (None, None, None, None), ("auto", "auto", True, False)),
    (("ask", "tags", True), (None, None, None, None), ("ask", "tags", True, True)),
    # The panel's choice wins...
    (("auto", "auto", False), ("ask", "tools", False, True), ("ask", "tools", False, True)),
    (("auto", "tags", False), ("auto", "auto", True, False), ("auto", "auto", True, False)),
    (("auto", "tools", False), (None, "tags", None, None), ("auto", "tags", True, False)),
    # ...except that the server's safer values are floors.
    (("ask", "auto", False), ("auto", None, None, None), ("ask", "auto", True, False)),
    (("ask", "auto", False), ("ask", None, None, None), ("ask", "auto", True, False)),
    (("auto", "auto", True), (None, None, None, False), ("auto", "auto", True, True)),
    (("ask", "tools", True), ("auto", "tags", False, False), ("ask", "tags", False, True)),
]


@pytest.mark.parametrize(("configured", "chosen", "expected"), TABLE)
def test_the_rule_case_by_case(
    configured: tuple[Any, ...], chosen: tuple[Any, ...], expected: tuple[Any, ...]
) -> None:
    assert resolve(Configured(*configured), Choices(*chosen)) == Resolved(*expected)


APPROVALS = ("auto", "ask")
STYLES: tuple[ActionStyle, ...] = get_args(ActionStyle)


def test_the_rule_holds_for_every_combination() -> None:
    """All 12 configurations against all 108 panels: the choice wins, else the server's
    value; the server's ask and untrusted outputs are never lowered."""
    checked = 0
    for approval, style, untrusted in itertools.product(APPROVALS, STYLES, (False, True)):
        configured = Configured(approval, style, untrusted)
        for chosen in itertools.starmap(
            Choices,
            itertools.product(
                (None, *APPROVALS), (None, *STYLES), (None, False, True), (None, False, True)
            ),
        ):
            got = resolve(configured, chosen)
            floor = approval == "ask"
            assert got.approval == ("ask" if floor else chosen.approval or approval)
            assert got.action_style == (chosen.action_style or style)
            assert got.replace_failed is (chosen.replace_failed is not False)
            assert got.untrusted is (untrusted or chosen.untrusted is True)
            checked += 1
    assert checked == 12 * 108


def test_the_configured_values_come_from_the_settings() -> None:
    settings = CodeAct(approval_mode="ask", action_style="tools", untrusted_agent_outputs=True)
    assert Configured.of(settings) == Configured("ask", "tools", True)
    assert Configured.of(CodeAct()) == Configured()


def test_the_rule_is_written_where_each_side_reads_it() -> None:
    """Each shared setting's help states the rule, and so does each panel description."""
    for name in ("approval_mode", "action_style", "untrusted_agent_outputs"):
        assert SHARED in CodeAct.class_traits()[name].help
    schema = json.loads((ROOT / "schema" / "plugin.json").read_text())["properties"]
    for key in ("approvalMode", "actionStyle", "untrustedAgentOutputs"):
        description = schema[key]["description"]
        assert "wins over the server's" in description and "floor" in description


@pytest.mark.parametrize("name", sorted(REMOVED))
def test_a_removed_setting_warns_naming_its_replacement(name: str) -> None:
    value = {"replace_failed_cells": False, "stop_sequences": [], "system_prompt": "You..."}
    with pytest.warns(UserWarning, match=f"c.CodeAct.{name} was removed") as caught:
        settings = CodeAct(config=Config({"CodeAct": {name: value[name], "model": "m"}}))
    assert REMOVED[name] in str(caught[0].message)
    # It changes nothing: the agent's options and requests are the defaults.
    settings.base_url = "http://localhost:1/v1"
    options = settings.agent_options()
    assert (
        options.replace_failed is True
        and options.system_prompt == CodeAct().agent_options().system_prompt
    )
    assert settings.llm_settings().stop == STOP_SEQUENCES == ("</execute>",)
