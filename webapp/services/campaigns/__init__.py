"""Campaigns: the wizard's draft, the review, the confirm and the fan-out at work."""
