"""The environment of kernels the agent's code runs in: the host's, less its secrets.

Kernels inherit their parent's environment, and code the model writes can print it. The
API key must stay with the host: the variables that name it (``OPENAI_API_KEY``) or hold
its text are left out of every kernel the host starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .core.redact import MIN_SECRET_CHARS

SECRET_VARIABLES = ("OPENAI_API_KEY",)
"""Variables left out whatever their value."""


def secret_variables(env: Mapping[str, str], secrets: Iterable[str | None]) -> set[str]:
    """The names in ``env`` to leave out: :data:`SECRET_VARIABLES`, any variable whose value
    is a secret, and any that contains one (``Bearer <key>``) when the secret is long
    enough to be unambiguous."""
    texts = [secret for secret in secrets if secret]
    names = {name for name in SECRET_VARIABLES if name in env}
    for name, value in env.items():
        if any(
            value == secret or (len(secret) >= MIN_SECRET_CHARS and secret in value)
            for secret in texts
        ):
            names.add(name)
    return names


def without_secrets(env: Mapping[str, str], secrets: Iterable[str | None]) -> dict[str, str]:
    """A copy of ``env`` without :func:`secret_variables`."""
    hidden = secret_variables(env, secrets)
    return {name: value for name, value in env.items() if name not in hidden}
