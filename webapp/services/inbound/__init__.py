"""Incoming mail: bounces (RFC 3464 DSNs and provider shapes), complaints (RFC 5965 ARF),
auto-replies (RFC 3834) and candidates' replies, received by ``herald inbound`` (SMTP) or
polled from a mailbox (IMAP), stored before they are acknowledged, then processed by a job.
See docs/bounces.md.
"""
