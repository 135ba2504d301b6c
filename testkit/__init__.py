"""Test and benchmark helpers shared by tests/ and bench/; never imported by the server."""
