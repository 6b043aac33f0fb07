"""连心网 (Lianxin) — grid management for a sub-district office."""

__version__ = "0.1.0"
