"""Organizations, people, passwords, sign-in sessions and API keys."""
