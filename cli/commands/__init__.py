"""Sub-command modules of ``lianxin``; each defines ``register(subparsers)``."""
