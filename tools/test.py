"""See `python tools/test.py --help`; the command lives in mmfreesolo.cli.test."""
from mmfreesolo.cli.test import main

if __name__ == '__main__':
    main()
