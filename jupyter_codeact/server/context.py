"""The kernel-variables part of the notebook context, gathered in the notebook's own kernel.

The panel evaluates :func:`namespace_expression` silently (an ``execute_request`` with
``silent: true`` and the expression in ``user_expressions``), so the summary adds nothing
to the kernel's history or namespace. The expression carries the source of
:mod:`jupyter_codeact.namespace`, because the notebook's kernel need not have this package.
"""

from __future__ import annotations

import functools
import inspect

from .. import namespace

DEFAULT_MAX_CHARS = 3000


@functools.cache
def namespace_expression(max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """A Python expression whose value displays as JSON ``{"text": <summary>}``."""
    source = inspect.getsource(namespace)
    # exec the module into a private dict, summarise the user's globals, and wrap the text
    # in an object whose _repr_json_ IPython uses for the expression's MIME bundle.
    return (
        "(lambda g: (exec(compile(" + repr(source) + ", '<codeact-namespace>', 'exec'), g), "
        "type('CodeActContext', (), {'_repr_json_': lambda self, t=g['summarize_namespace']("
        f"dict(globals()), max_chars={int(max_chars)}): {{'text': t}}}})())[1])"
        "({'__name__': 'codeact_namespace'})"
    )
