"""Executors: where a host runs the agent's code (see core.executor.Executor)."""
