"""Moderation rules: word lists, personal-data detectors and the engine that decides."""
