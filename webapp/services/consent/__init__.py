"""What recipients allow: their preferences and the suppression list."""
