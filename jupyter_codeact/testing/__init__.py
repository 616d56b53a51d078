"""Test helpers that ship with the package (the scripted LLM server)."""

from .scripted_llm import RecordedRequest, Reply, ScriptedLLM

__all__ = ["RecordedRequest", "Reply", "ScriptedLLM"]
