"""The domain: typed functions with explicit arguments. They flush; callers commit."""
