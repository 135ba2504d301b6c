"""Donations."""
