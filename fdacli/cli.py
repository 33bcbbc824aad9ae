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
    from fdacli.commands.build_instructions import build_instructions
    from fdacli.commands.caption import caption
    from fdacli.commands.finetune import finetune
    from fdacli.commands.preannotate import preannotate
    from fdacli.commands.sample import sample
    from fdacli.commands.score import score
    from fdacli.commands.track import track

    app.command("sample", help=sample.__doc__)(sample)
    app.command("track", help=track.__doc__)(track)
    app.command("score", help=score.__doc__)(score)
    app.command("preannotate", help=preannotate.__doc__)(preannotate)
    app.command("build-instructions", help=build_instructions.__doc__)(build_instructions)
    app.command("finetune", help=finetune.__doc__)(finetune)
    app.command("caption", help=caption.__doc__)(caption)


_register()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
