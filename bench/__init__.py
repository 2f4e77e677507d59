"""Benchmarks: ``python -m bench SUBCOMMAND`` (``python -m bench`` lists them).

These measure targets; they are not tests. Each subcommand is a module here
with ``add_arguments(parser)`` and ``run(args) -> int``, registered in
``bench.__main__.SUBCOMMANDS``.
"""
