"""Modal dialogs: confirm, error, export, go to (screens/ holds the full screens)."""
