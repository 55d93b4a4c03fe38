"""An interview's life: secure links, times, answers, reminders, calendar files."""
