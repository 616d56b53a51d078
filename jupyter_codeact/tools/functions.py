"""The user's own Python functions as tools: ``c.CodeAct.tools = ["mypackage.tools:search"]``.

Each is imported in the kernel (where the agent's code calls it) and, to describe it to the
model, in the host too (its signature and docstring, as the eval suites' ``tools.py``
functions are described; see :mod:`.spec`). A function the host cannot import is still
imported in the kernel, listed by name only, and reported once.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any

from .spec import ToolSpec, spec_of

_REF = re.compile(r"[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?")


@dataclass(frozen=True)
class FunctionRef:
    ref: str
    """As configured: ``package.module:function`` (or ``package.module.function``)."""
    module: str
    attr: str

    @property
    def name(self) -> str:
        """Its name in the kernel."""
        return self.attr.rsplit(".", 1)[-1]

    def payload(self) -> dict[str, Any]:
        return {"ref": self.ref, "module": self.module, "attr": self.attr, "name": self.name}


def parse_refs(refs: list[str]) -> tuple[list[FunctionRef], list[str]]:
    """The references that can be used, and a sentence for each that cannot."""
    found: list[FunctionRef] = []
    problems: list[str] = []
    for ref in refs:
        text = ref.strip()
        if not _REF.fullmatch(text) or ("." not in text and ":" not in text):
            problems.append(
                f"c.CodeAct.tools: {ref!r} is not a function reference; write "
                "'package.module:function'."
            )
            continue
        module, attr = text.split(":", 1) if ":" in text else text.rsplit(".", 1)
        function = FunctionRef(text, module, attr)
        if any(known.name == function.name for known in found):
            problems.append(f"c.CodeAct.tools: two functions are named {function.name!r}.")
            continue
        found.append(function)
    return found, problems


def describe(function: FunctionRef) -> tuple[ToolSpec, str | None]:
    """The function's spec, read from an import in this process; if it cannot be imported
    here, a name-only spec and the reason."""
    try:
        target: Any = importlib.import_module(function.module)
        for part in function.attr.split("."):
            target = getattr(target, part)
        if not callable(target):
            raise TypeError(f"{function.attr} is a {type(target).__name__}, not a function")
        return spec_of(target, name=function.name), None
    except Exception as error:
        spec = ToolSpec(name=function.name, signature="(...)", doc="", parameters=())
        return spec, (
            f"c.CodeAct.tools: {function.ref} could not be imported here ({type(error).__name__}: "
            f"{error}); the kernel imports it when the agent runs, so it must be installed there."
        )
