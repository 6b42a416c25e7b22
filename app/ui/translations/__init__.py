"""English for the UI's Swedish texts, one module per feature (see app/ui/i18n.py)."""
