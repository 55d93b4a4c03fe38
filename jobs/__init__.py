"""RQ jobs. Each takes ids, is safe to run twice, and runs inside an app context."""
