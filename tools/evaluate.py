"""See `python tools/evaluate.py --help`; the command lives in mmfreesolo.cli.evaluate."""
from mmfreesolo.cli.evaluate import main

if __name__ == '__main__':
    main()
