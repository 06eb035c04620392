"""Analyses: take a project, an engine and a request; return a frozen result."""
