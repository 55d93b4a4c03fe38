"""Email templates and their versions, and composing a message from one."""
