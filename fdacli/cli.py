"""The `fda` command-line app.  Nothing heavy is imported here: `fda --help` must stay instant."""

from __future__ import annotations

import typer

from fdacli import __version__

app = typer.Typer(
    name="fda",
    help="Dynamic facial expression captioning: track faces, build caption data, fine-tune FaceTrack-MM, "
    "caption videos and score captions on FEC-Bench.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    # click's own help layout: every default in full, flags without a value placeholder, and help text
    # never read as markup (rich's layout cut defaults at 80 columns, showed flags as `<bool>` and dropped
    # bracketed words such as "[inference]")
    rich_markup_mode=None,
)

def _whole_words_in_help() -> None:
    """Help wraps between words only: an option name or a default (``--save-steps``,
    ``openai/clip-vit-large-patch14-336``) is never split at a hyphen across two lines, and ``[default: X]`` is
    never split from its value, at any width."""
    import importlib

    for name in ("typer._click._textwrap", "click._textwrap"):  # typer ≥ 0.2x formats help with its own copy of click
        try:
            tw = importlib.import_module(name)
        except ImportError:
            continue
        if getattr(tw.TextWrapper, "_fda", False):
            continue

        class Wrapper(tw.TextWrapper):
            _fda = True

            def __init__(self, *args, **kw) -> None:
                kw.setdefault("break_on_hyphens", False)
                kw.setdefault("break_long_words", False)
                super().__init__(*args, **kw)

            def wrap(self, text: str) -> list[str]:  # "[default: 512]" stays on one line
                glued = text.replace("[default: ", "[default:\xa0")
                return [line.replace("\xa0", " ") for line in super().wrap(glued)]

        tw.TextWrapper = Wrapper


_whole_words_in_help()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fda {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    pass


def _register() -> None:
    from fdacli.commands.actions import actions
    from fdacli.commands.build_instructions import build_instructions
    from fdacli.commands.caption import caption
    from fdacli.commands.finetune import finetune
    from fdacli.commands.preannotate import preannotate
    from fdacli.commands.review import app as review_app
    from fdacli.commands.sample import sample
    from fdacli.commands.score import score
    from fdacli.commands.screen import screen
    from fdacli.commands.track import track

    app.command("sample", help=sample.__doc__)(sample)
    app.command("track", help=track.__doc__)(track)
    app.command("score", help=score.__doc__)(score)
    app.command("actions", help=actions.__doc__)(actions)
    app.command("screen", help=screen.__doc__)(screen)
    app.command("preannotate", help=preannotate.__doc__)(preannotate)
    app.add_typer(review_app, name="review")
    app.command("build-instructions", help=build_instructions.__doc__)(build_instructions)
    app.command("finetune", help=finetune.__doc__)(finetune)
    app.command("caption", help=caption.__doc__)(caption)


_register()


def main() -> None:
    """Run the app; a stop (Ctrl-C, SIGTERM) and a full or read-only disk end in one line, not a traceback.

    Outputs are written record by record (or replaced whole), so what was written before either is kept
    and a rerun resumes from it."""
    import errno
    import os
    import signal
    import sys

    stopped: list[int] = []

    def stop(signum, frame):  # SIGTERM unwinds like Ctrl-C: worker pools are stopped, files closed
        stopped.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        app()
    except (KeyboardInterrupt, SystemExit):
        if not stopped:  # an ordinary exit
            raise
        _error("stopped: what was written is kept; run the same command again to resume")
        # records are on disk line by line and whole files are replaced atomically: nothing is left to
        # flush, and LLM calls still in flight (threads) must not hold the exit for up to --timeout
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EFBIG):
            raise
        where = f" {exc.filename}" if exc.filename else ""
        what = ("free some space or choose another output" if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
                else "check the permissions, or choose another output")
        _error(f"cannot write{where}: {exc.strerror}; {what}, then run the same command again: what was written is "
               "kept and resumes")
        sys.exit(2)


def _error(message: str) -> None:
    from rich.markup import escape

    from fdacli.commands.display import console

    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)


if __name__ == "__main__":
    main()
