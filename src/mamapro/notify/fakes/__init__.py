"""Local stand-ins for the providers, for tests, the benchmark and the end-to-end run.

Each one is a real server on 127.0.0.1 that answers as the provider's published API does, so
the adapter under test is the production code pointed at another base URL (never a mock of
our own code). Nothing here is imported by the running site.
"""
