"""How a command line ends when it cannot go on: bad user input, or Ctrl-C.

A :class:`UserInputError` (a config, checkpoint or data file that cannot be used) is printed as
one line with exit status 2; Ctrl-C in a command that resumes is one line and exit status 130;
everything else is a bug and keeps its traceback.
"""
import functools
import signal
import sys

# what Ctrl-C prints in the commands that resume: those that continue by themselves when run
# again (their stages keep checkpoints and finished label chunks), and mmengine's trainings
RUN_AGAIN_TO_CONTINUE = 'stopped: run the same command again to continue where it stopped'
RESUME_TO_CONTINUE = ('stopped: run the same command with --resume to continue from its last '
                      'checkpoint')


class UserInputError(ValueError):
    """A file or argument given by the user cannot be used; the message names it and why."""


def exit_on_user_error(main):
    """Decorate a command line's ``main``: a :class:`UserInputError` becomes one line and exit 2."""

    @functools.wraps(main)
    def run(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except UserInputError as e:
            print(f'error: {e}', file=sys.stderr)
            raise SystemExit(2) from None

    return run


def exit_on_interrupt(message: str):
    """Decorate a command line's ``main``: Ctrl-C prints ``message`` as one line and exits 130.

    The SIGINT is recorded when it arrives, and whatever exception then ends ``main`` ends it
    this way: a library may turn the ``KeyboardInterrupt`` into another exception on its way up
    (numpy 2 does, when the signal lands while it retries an old-style ``__array__``, as
    pycocotools' mask decoding has). Only for the main thread, where signal handlers run.
    """

    def decorate(main):

        @functools.wraps(main)
        def run(*args, **kwargs):
            interrupted = []

            def on_sigint(signum, frame):
                interrupted.append(signum)
                raise KeyboardInterrupt

            previous = signal.signal(signal.SIGINT, on_sigint)
            try:
                return main(*args, **kwargs)
            except BaseException:
                if not interrupted:
                    raise
                print(f'\n{message}', file=sys.stderr)
                raise SystemExit(130) from None
            finally:
                signal.signal(signal.SIGINT, previous)

        return run

    return decorate
