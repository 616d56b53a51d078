"""Keep the API key out of the kernels the Jupyter server starts (the notebooks' kernels,
which run the agent's code).

The guard wraps the server's kernel manager, whatever its class: every ``start_kernel``
gets an environment without the key (a provisioner launches with the ``env`` it is
given, and a restart reuses it), and ``update_env`` (a renamed session) cannot put it
back. Through a gateway, which forwards the server's own variables that
``GatewayClient.allowed_envs`` names, those that would carry the key are sent empty.
"""

from __future__ import annotations

import inspect
import logging
import os
from typing import Any

from ..config import CodeAct
from ..kernel_env import secret_variables

_MARK = "_codeact_key_guard"


def is_gateway(kernel_manager: Any) -> bool:
    """Whether ``kernel_manager`` is jupyter_server's Gateway client (kernels elsewhere)."""
    return any(
        cls.__module__.startswith("jupyter_server.gateway") for cls in type(kernel_manager).__mro__
    )


def guard_kernel_manager(kernel_manager: Any, settings: CodeAct, log: logging.Logger) -> bool:
    """Install the guard on ``kernel_manager`` (once); False when the settings share the key."""
    if settings.share_key_with_kernels:
        log.info("CodeAct: kernels inherit the API key (c.CodeAct.share_key_with_kernels).")
        return False
    if getattr(kernel_manager, _MARK, False):
        return True
    gateway = is_gateway(kernel_manager)

    def guarded(env: dict[str, str] | None) -> dict[str, str]:
        base = dict(os.environ if env is None else env)
        clean = settings.kernel_env(base)
        if clean is None:  # shared since (the setting is read at each start)
            return base
        if gateway:
            # The gateway client starts from the server's own environment and adds ours.
            hidden = secret_variables({**os.environ, **base}, [settings.api_key])
            clean.update(dict.fromkeys(hidden, ""))
        return clean

    start = kernel_manager.start_kernel

    async def start_kernel(*args: Any, **kwargs: Any) -> Any:
        kwargs["env"] = guarded(kwargs.get("env"))
        started = start(*args, **kwargs)
        return await started if inspect.isawaitable(started) else started

    kernel_manager.start_kernel = start_kernel
    update = getattr(kernel_manager, "update_env", None)
    if update is not None:

        def update_env(*, kernel_id: str, env: dict[str, str]) -> Any:
            hidden = secret_variables(env, [settings.api_key])
            return update(
                kernel_id=kernel_id, env={k: v for k, v in env.items() if k not in hidden}
            )

        kernel_manager.update_env = update_env
    setattr(kernel_manager, _MARK, True)
    log.info(
        "CodeAct: kernels start without the API key (set c.CodeAct.share_key_with_kernels = "
        "True for notebooks that call the API themselves)."
    )
    return True
