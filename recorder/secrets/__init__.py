"""Keeping credentials out of cassettes: a profile-driven scrubber and an independent scanner.

The scrubber (scrub.py) replaces credentials in the typed model with stable placeholders, using
the provider profile to know where they travel. The scanner (scan.py) re-reads the serialized
bytes with its own idea of what a secret looks like, so a scrubber bug cannot hide a leak; the
cassette writer calls ``scan_guard`` before anything reaches disk.
"""
from recorder.secrets.scan import Finding, scan_bytes, scan_guard, scan_paths
from recorder.secrets.scrub import scrub_cassette, scrub_interaction

__all__ = ["Finding", "scan_bytes", "scan_guard", "scan_paths", "scrub_cassette", "scrub_interaction"]
