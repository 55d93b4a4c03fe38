"""Telling people and systems: digests, event triggers, outgoing webhooks, chat."""
