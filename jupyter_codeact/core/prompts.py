"""The system prompt and the fixed messages the loop sends to the model."""

from __future__ import annotations

import re

DEFAULT_SYSTEM_PROMPT = """\
You are a helpful data-science assistant that acts by writing Python code. \
You work inside a stateful Jupyter kernel: every code action you write runs in the \
same kernel, so variables, imports and files you create persist from one action to \
the next.

How to act:
- To run code, put it in a single block: <execute>
...python code...
</execute>
  Write one action per reply, then stop and wait: the output (stdout, the value of \
the last expression, and any error with its traceback) comes back to you as an \
observation.
- You can use any library installed in the kernel (for example pandas, numpy, \
matplotlib). Install nothing unless the user asks you to. Plots and tables you \
display are shown to the user.
- If the code fails, read the traceback, fix the cause and try again with a new \
action. Do not repeat an action that failed without changing it.
- Do not call input() or anything else that waits for a person: the kernel cannot \
answer prompts.
- When you have the answer, reply with <solution> your answer </solution> (no code \
in the same reply). Keep the answer short and specific; the user can read the cells \
you ran.
- To talk to the user without running code (to explain, or to ask a question), \
reply in plain language without <execute>.
"""

NO_ACTION_NUDGE = (
    "I found no action in your reply. To run code, put it inside <execute> ... </execute>; "
    "to finish, put your final answer inside <solution> ... </solution>."
)

FOREIGN_ACTION_NUDGE = (
    "Your reply asks for {tag}, which is not an action here. To run code, put Python inside "
    "<execute> ... </execute> (shell commands as !command lines); to finish, put your final "
    "answer inside <solution> ... </solution>."
)

IGNORED_SOLUTION_NOTE = (
    "Note: your reply had both code and a <solution>; the code ran first and the solution "
    "was not taken. Give the <solution> again once you have checked the output."
)


STOPPED_BEFORE_RUN = "(The user pressed Stop before it started.)"


def user_message_with_context(message: str, context: str | None) -> str:
    """The user's message, preceded by the host's context (notebook or namespace summary)."""
    if not context:
        return message
    # The request goes last: it is what the model should act on.
    return f"<context>\n{context.strip()}\n</context>\n\n{message}"


def system_prompt_with(base: str, *, tools: str = "", rules: str = "") -> str:
    """The system prompt ``base`` with the host's sections: the tools defined in the kernel
    and the project's rules, each in a tagged block (left out when empty)."""
    blocks = [base.rstrip()]
    for tag, text in (("tools", tools), ("rules", rules)):
        if text.strip():
            blocks.append(f"<{tag}>\n{text.strip()}\n</{tag}>")
    return "\n\n".join(blocks) + "\n"


# -- the tools action style ------------------------------------------------------------------
CODE_TOOL = "execute_python"
"""The one function the tools style offers: its argument is the Python to run."""

_TAGS_TO_TOOLS = (
    (
        "- To run code, put it in a single block: <execute>\n...python code...\n</execute>\n"
        "  Write one action per reply, then stop and wait: the output (stdout, the value of "
        "the last expression, and any error with its traceback) comes back to you as an "
        "observation.",
        f"- To run code, call the {CODE_TOOL} tool with the code. Make one call per reply, "
        "then wait: the output (stdout, the value of the last expression, and any error "
        "with its traceback) comes back to you as the tool's result.",
    ),
    (
        "- When you have the answer, reply with <solution> your answer </solution> (no code "
        "in the same reply).",
        "- When you have the answer, reply with it in plain language, without a tool call.",
    ),
    ("reply in plain language without <execute>.", "reply in plain language without a tool call."),
)


def tools_system_prompt(prompt: str) -> str:
    """``prompt`` for the tools style: the built-in instructions on how to act become the
    tool's (anything else, such as a user's own prompt, is kept as it is)."""
    for tags, tools in _TAGS_TO_TOOLS:
        prompt = prompt.replace(tags, tools)
    return prompt


_TAG_PHRASES = (
    (re.compile(r'<execute replace="([^"]*)">'), f'an {CODE_TOOL} call with "replace": "\\1"'),
    (re.compile(r"<execute new>"), f'an {CODE_TOOL} call with "new": true'),
    (re.compile(r"plain <execute>"), f'{CODE_TOOL} calls without "replace"'),
    (re.compile(r"<execute>"), f"an {CODE_TOOL} call"),
)


def tools_wording(text: str) -> str:
    """``text`` (the cells guide, a note on where the next action goes) for the tools
    style: the tags it names become the code tool's arguments."""
    for pattern, words in _TAG_PHRASES:
        text = pattern.sub(words, text)
    return text


TOOLS_NO_ACTION_NUDGE = (
    f"Your reply was empty. To run code, call the {CODE_TOOL} tool; to finish, reply with "
    "your answer."
)

CALLS_IN_TEXT_NUDGE = (
    f"Code written in the reply's text does not run here: call the {CODE_TOOL} tool with "
    "the code instead."
)

ACTION_NOT_RUN = (
    "Not run: the run ended before this call could run (it was stopped, or its kernel could "
    "not be reached)."
)

EXTRA_CALL_NOTE = (
    "Not run: only one call runs per reply, the first. Call it again in your next reply if "
    "you still need it, after reading the first call's result."
)


# -- cells (the rule is in cells.py) -------------------------------------------------------

CELLS_GUIDE = """
Your actions become cells of the user's notebook, and the notebook is what the user keeps:
- Each observation names the cell its code ran in, by an id such as c3a1.
- When an action fails, your next action replaces the failed cell's code in place (so the \
notebook keeps only the working version), unless you write <execute new>. So write a fix \
as the complete code for the cell, including what it did before the error: code that \
would lose what the cell defined (a check such as print(df.columns), or only the \
corrected line) goes into a new cell below it instead, and the failed cell stays.
- To change a cell you wrote earlier (a plot's title, a filter), write \
<execute replace="c3a1"> with the cell's complete new code instead of adding a near-copy. \
You may replace only cells you wrote in this chat (the context lists them) and a cell of \
the user's that a request asks you to fix.
"""

RAN_IN_CELL = "(This ran in cell {id}.)"
RAN_REPLACING = "(This replaced the code of cell {id} and ran there.)"
RAN_BELOW_KEPT = (
    "(This ran in a new cell {id}, inserted after cell {kept}, which was kept rather than "
    "replaced: {why}; {how}.)"
)
KEPT_WHY_NAMES = "this code does not define {names} again"
KEPT_WHY_UNKNOWN = "what {what} defines cannot be told"
KEPT_WHY_NEW = "you wrote <execute new>"
KEPT_TRIMMED = "cell {kept} now holds only the statements that ran before its error"
KEPT_WHOLE = "cell {kept} stays whole, marked as failed"
REFUSED_WOULD_LOSE = (
    "Not run: replacing cell {id} with this code would lose {what}, which cell {id} "
    "defines{before} and this code does not define again. Write the complete code for the "
    "cell, or put this code in a new cell with <execute new>."
)
NEXT_REPLACES = (
    "Your next action replaces the code of cell {id} if it is complete code for the cell; "
    "otherwise, or with <execute new>, it goes into a new cell below it."
)
REFUSED_UNKNOWN = (
    "There is no cell {id} that you may replace: you can replace only cells you wrote in "
    'this chat ({ids}). Write <execute> for a new cell, or <execute replace="ID"> with one '
    "of those ids."
)
REFUSED_BY_HOST = "To run it anyway, write it as a new cell: <execute new>."
REFUSED_NO_ID = 'replace needs the id of a cell, as in <execute replace="c3a1">.'
REFUSED_BOTH = 'Write either <execute new> or <execute replace="ID">, not both.'

FIX_USER_CELL = (
    "(The user's cell has the id {id}. When you have the fix, write the whole corrected "
    'cell as <execute replace="{id}">: the user sees it as a change to their cell, accepts '
    "or rejects it, and it runs there. Anything you need to run first goes into cells of "
    "your own, with plain <execute>.)"
)
