"""The Textual-free part of the UI: the session, what the views show as data (presentation
rows, statistics, weights, overlays), history, the view registry, the settings file and the
loading stages. A contract in pyproject.toml keeps Textual and rich out of it, so it is
tested and reused without a screen."""
