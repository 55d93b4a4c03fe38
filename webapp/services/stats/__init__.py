"""Statistics: the funnel, breakdowns, campaign reports, queue health and the audit log view."""
