"""Changelogs: commit messages -> changes -> sections, and changelog files."""
