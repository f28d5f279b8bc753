"""`python -m tokenledger` is the `tokenledger` command."""

from tokenledger.cli import main

raise SystemExit(main())
