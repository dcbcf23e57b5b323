"""python -m drsim: the same as the drsim command."""

from drsim.cli import main

main()
