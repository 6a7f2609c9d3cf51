"""Screens and dialogs: the main tabbed screen, help, go-to, export, confirm, error."""
