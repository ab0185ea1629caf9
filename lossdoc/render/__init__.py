"""Renderers: results -> terminal (rich), JSON, Markdown, PNG. They know results, not logs."""
