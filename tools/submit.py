"""See `python tools/submit.py --help`; the command lives in mmfreesolo.cli.submit."""
from mmfreesolo.cli.submit import main

if __name__ == '__main__':
    main()
