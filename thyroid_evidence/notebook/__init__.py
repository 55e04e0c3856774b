"""Notebook support: what a notebook calls first (parameter check, run context, saving)."""
