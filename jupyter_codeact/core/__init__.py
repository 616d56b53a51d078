"""The agent core: the CodeAct loop and everything it needs, and nothing about its host.

Nothing in this package may import jupyter_server, tornado, IPython, ipywidgets or
jupyter_client (``tests/test_core_isolation.py`` checks it).
"""

from .actions import ActionFormat, CodeActions, ParsedReply, parse_reply, prose
from .agent import Agent, AgentOptions, RunOptions
from .events import (
    Action,
    ActionDelta,
    AnyEvent,
    AssistantMessage,
    Condensed,
    Done,
    Error,
    Event,
    ExecutionStatus,
    FinalAnswer,
    Observation,
    Retry,
    StopReason,
    TextDelta,
    Thinking,
    ThinkingDelta,
    Usage,
)
from .executor import ExecutionResult, Executor, ExecutorError, Output
from .llm import LLM, LLMChunk, LLMError, LLMSettings, Message, OpenAIChat, TokenUsage
from .observation import format_observation

__all__ = [
    "LLM",
    "Action",
    "ActionDelta",
    "ActionFormat",
    "Agent",
    "AgentOptions",
    "AnyEvent",
    "AssistantMessage",
    "CodeActions",
    "Condensed",
    "Done",
    "Error",
    "Event",
    "ExecutionResult",
    "ExecutionStatus",
    "Executor",
    "ExecutorError",
    "FinalAnswer",
    "LLMChunk",
    "LLMError",
    "LLMSettings",
    "Message",
    "Observation",
    "OpenAIChat",
    "Output",
    "ParsedReply",
    "Retry",
    "RunOptions",
    "StopReason",
    "TextDelta",
    "Thinking",
    "ThinkingDelta",
    "TokenUsage",
    "Usage",
    "format_observation",
    "parse_reply",
    "prose",
]
