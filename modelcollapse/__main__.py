"""``python -m modelcollapse`` starts the command-line interface."""

if __name__ == "__main__":
    from modelcollapse.cli import main

    raise SystemExit(main())
