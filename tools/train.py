"""See `python tools/train.py --help`; the command lives in mmfreesolo.cli.train."""
from mmfreesolo.cli.train import main

if __name__ == '__main__':
    main()
