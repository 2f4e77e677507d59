"""``python -m core.cli`` is the ``contracthub`` command."""

from core.cli import main

main()
