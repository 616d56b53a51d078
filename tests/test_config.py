"""The CodeAct configuration: environment defaults, checks, and what the browser may see."""

from __future__ import annotations

import pytest
from traitlets.config import Config

from jupyter_codeact.config import (
    NO_MODEL_MESSAGE,
    PLACEHOLDER_KEY,
    SERVER_NO_MODEL_MESSAGE,
    CodeAct,
    ConfigError,
)
from jupyter_codeact.core.redact import public_url


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CODEACT_MODEL"):
        monkeypatch.delenv(name, raising=False)


def test_environment_gives_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:11434/v1")
    monkeypatch.setenv("CODEACT_MODEL", "llama3.1:8b")
    settings = CodeAct()
    assert (settings.api_key, settings.base_url, settings.model) == (
        "sk-env",
        "http://localhost:11434/v1",
        "llama3.1:8b",
    )


def test_config_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    config = Config({"CodeAct": {"api_key": "sk-config", "max_turns": 3, "cell_timeout": 0}})
    settings = CodeAct(config=config)
    assert settings.api_key == "sk-config"
    options = settings.agent_options()
    assert options.max_turns == 3
    assert options.cell_timeout is None  # 0 means no limit


def test_nothing_configured_is_a_clear_error() -> None:
    with pytest.raises(ConfigError) as caught:
        CodeAct().check()
    assert str(caught.value) == NO_MODEL_MESSAGE


def test_a_local_server_needs_no_key() -> None:
    settings = CodeAct(config=Config({"CodeAct": {"base_url": "http://localhost:8000/v1"}}))
    assert settings.llm_settings().api_key == PLACEHOLDER_KEY


def test_public_settings_never_include_the_key() -> None:
    settings = CodeAct(config=Config({"CodeAct": {"api_key": "sk-secret-value"}}))
    public = settings.public_settings()
    assert "sk-secret-value" not in repr(public)
    assert public["has_api_key"] is True
    assert public["problem"] is None
    assert CodeAct().public_settings()["problem"] == SERVER_NO_MODEL_MESSAGE


@pytest.mark.parametrize(
    ("model", "images", "expected"),
    [
        ("gpt-4o", "auto", True),
        ("llama3.1:8b", "auto", False),
        ("llama3.1:8b", "always", True),
        ("gpt-4o", "never", False),
    ],
)
def test_images_follow_the_model_unless_set(model: str, images: str, expected: bool) -> None:
    settings = CodeAct(config=Config({"CodeAct": {"model": model, "images": images}}))
    assert settings.agent_options().include_images is expected


def test_every_trait_has_help() -> None:
    missing = [name for name, trait in CodeAct.class_traits(config=True).items() if not trait.help]
    assert missing == []


def test_the_endpoint_is_named_without_credentials() -> None:
    settings = CodeAct(
        api_key="k" * 20, base_url="http://u:secret-pass-1@[::1]:8000/v1?key=qs-secret-99#frag"
    )
    assert settings.public_settings()["base_url"] == "http://[::1]:8000/v1"
    llm = settings.make_llm()
    assert llm.endpoint == "http://[::1]:8000/v1"  # error messages, eval results, logs
    assert public_url("not a url") == "not a url"
    assert public_url("http://host:port/v1") == "(an address that could not be read)"
