"""The ground floor: errors, settings, vocabulary, personal-data rules, the clock.

Imports nothing of ours; every other package may import it.
"""
