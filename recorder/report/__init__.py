"""Rendering findings for people and machines: text, JSON, JUnit, Markdown, HTML."""
from recorder.report.model import Finding, Report, Summary

__all__ = ["Finding", "Report", "Summary"]
