"""`python -m kplan`: the same as the `kplan` command (kplan.start guards Ctrl-C from its first instruction)."""

from kplan.start import main

main()
