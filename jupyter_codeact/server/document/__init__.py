"""The notebook as the server changes it: document operations, their log, and the writers
that apply them (the pages that have the notebook open, or its ``.ipynb`` file).

See :mod:`.ops` for the operations, :mod:`.hub` for who applies them when.
"""
