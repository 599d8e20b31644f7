"""``python -m modelcollapse`` starts the command-line interface."""

from modelcollapse.cli import main

raise SystemExit(main())
