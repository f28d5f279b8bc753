"""tokenledger: per-team monthly AI spend from raw usage exports, built with dbt.

The command line is `tokenledger` (tokenledger.cli); each subcommand is a module of this package.
"""

__version__ = "0.2.0"
