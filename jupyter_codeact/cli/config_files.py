"""Read the ``CodeAct`` section from ``jupyter_codeact_config.{py,json}`` in Jupyter's
config path, so that the command line shares configuration with the other hosts."""

from __future__ import annotations

from pathlib import Path

from jupyter_core.paths import jupyter_config_path
from traitlets.config import Config
from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

from ..config import ConfigError

CONFIG_NAME = "jupyter_codeact_config"


def load_config(paths: list[str] | None = None) -> Config:
    """Merge the config files found in ``paths`` (most general first, the default)."""
    config = Config()
    # jupyter_config_path() lists the most specific directory first.
    for directory in reversed(paths if paths is not None else jupyter_config_path()):
        for loader_class, suffix in ((JSONFileConfigLoader, ".json"), (PyFileConfigLoader, ".py")):
            file = Path(directory) / f"{CONFIG_NAME}{suffix}"
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
