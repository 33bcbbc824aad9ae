"""One module per `fda` subcommand: options, progress display, calls into fdacli.core."""
