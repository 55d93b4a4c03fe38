"""Who Herald writes to: candidates, jobs, shortlists, and CSV import."""
