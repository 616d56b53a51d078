"""Trajectories for fine-tuning: chats, headless runs and eval tasks exported as JSON lines
of multi-turn code-action conversations, in the spirit of the CodeAct paper's
CodeActInstruct data (``jupyter codeact export``).

:mod:`.sources` tells what each source is and splits it into files, the readers
(:mod:`.notebooks`, :mod:`.eval_folder`, :mod:`.chats`) turn a file into
:class:`~.trajectory.Trajectory` objects (the messages the model was sent, or a
conversation rebuilt from cells by :mod:`.rebuild`), :mod:`.pipeline` filters and redacts
them and :mod:`.formats` writes each as a line. Nothing here needs a running server.
"""
