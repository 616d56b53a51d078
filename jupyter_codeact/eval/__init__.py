"""``jupyter codeact eval``: the paper's comparison of code, JSON and text actions.

A suite is a folder of domains, each with its tools as plain Python functions and a list of
tasks (see :mod:`.suite`). The same model solves every task with the same tools in each
action mode (:mod:`.modes`); the runner (:mod:`.runner`) runs tasks concurrently over a
pool of kernels, and :mod:`.report` writes success rates, turns, tokens and wall time.
"""
