"""Allow ``python -m cutter_container`` as an alias of ``cutter-container``."""

from .cli import main

raise SystemExit(main())
