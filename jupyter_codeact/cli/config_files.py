"""Read the ``CodeAct`` section from ``jupyter_codeact_config.{py,json}`` in Jupyter's
config path, so that the command line shares configuration with the other hosts."""

from __future__ import annotations

from pathlib import Path

from jupyter_core.paths import jupyter_config_path
from traitlets.config import Config
from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

CONFIG_NAME = "jupyter_codeact_config"


def load_config(paths: list[str] | None = None) -> Config:
    """Merge the config files found in ``paths`` (most general first, the default)."""
    config = Config()
    # jupyter_config_path() lists the most specific directory first.
    for directory in reversed(paths if paths is not None else jupyter_config_path()):
        for loader_class, suffix in ((JSONFileConfigLoader, ".json"), (PyFileConfigLoader, ".py")):
            if (Path(directory) / f"{CONFIG_NAME}{suffix}").is_file():
                loader = loader_class(f"{CONFIG_NAME}{suffix}", path=directory)
                config.merge(loader.load_config())
    return config
