"""Reviewing what a turn changed in the notebook, and taking it back."""
