"""Read the ``CodeAct`` section from ``jupyter_codeact_config.{py,json}`` in Jupyter's
config path, so that the command line shares configuration with the other hosts; and, for
``export``, the secrets every host's configuration names (a chat stored by the server may
hold the key that the server's config set)."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_core.paths import jupyter_config_path
from traitlets.config import Config
from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

from ..config import ConfigError

CONFIG_NAME = "jupyter_codeact_config"


HOST_CONFIGS = ("jupyter_server_config", "jupyter_lab_config", "jupyter_notebook_config")
"""The other hosts' config files in Jupyter's path (the panel's server)."""


def load_config(paths: list[str] | None = None, name: str = CONFIG_NAME) -> Config:
    """Merge the config files ``name`` found in ``paths`` (most general first, the default)."""
    config = Config()
    # jupyter_config_path() lists the most specific directory first.
    for directory in reversed(paths if paths is not None else jupyter_config_path()):
        for loader_class, suffix in ((JSONFileConfigLoader, ".json"), (PyFileConfigLoader, ".py")):
            file = Path(directory) / f"{name}{suffix}"
            if file.is_file():
                loader = loader_class(file.name, path=directory)
                try:
                    config.merge(loader.load_config())
                except Exception as error:  # the user's file: a syntax error, bad JSON...
                    raise ConfigError(
                        f"Could not read {file} ({type(error).__name__}: {error}): fix or "
                        "remove it."
                    ) from error
    return config


def host_configs() -> tuple[list[Config], list[str]]:
    """The ``CodeAct`` configuration of every host (the server's files, and the magic's
    ``ipython_config.py`` of the default profile), and a sentence for each file that could
    not be read."""
    configs: list[Config] = []
    problems: list[str] = []
    for name in HOST_CONFIGS:
        try:
            configs.append(load_config(name=name))
        except ConfigError as error:
            problems.append(str(error))
    ipython = Path(os.environ.get("IPYTHONDIR") or Path.home() / ".ipython") / "profile_default"
    try:
        configs.append(load_config([str(ipython)], name="ipython_config"))
    except ConfigError as error:
        problems.append(str(error))
    return configs, problems
